import type { OriginModel } from '../config/origins'

export type SynthesisMode = 'zero_shot' | 'cross_lingual' | 'instruct2' | 'sft'
export const SYNTHESIS_MODES: readonly SynthesisMode[] = ['zero_shot', 'cross_lingual', 'instruct2', 'sft']

/** CosyVoice3 asserts this marker is in prompt text + text; the Triton runtime adds the same default prompt. */
export const END_OF_PROMPT = '<|endofprompt|>'
const SYSTEM_PROMPT = 'You are a helpful assistant.'
const DEFAULT_PROMPT = `${SYSTEM_PROMPT}${END_OF_PROMPT}`

export interface SynthesisInput {
  mode: SynthesisMode
  text: string
  speaker?: string
  instruct?: string
  /** The voice's transcript, for zero_shot. */
  promptText?: string
}

export interface OriginForm {
  path: string
  fields: [name: string, value: string][]
  /** Whether the endpoint takes the voice's audio as `prompt_wav`. */
  needsPromptWav: boolean
}

/**
 * The stock FastAPI server's endpoint and form fields for a mode (docs/ORIGIN-PROTOCOL.md), with the prompt
 * markers each model expects, so clients send plain text and plain instructions:
 *
 * - CosyVoice3 asserts `<|endofprompt|>` in prompt text + text in every mode. The default system
 *   prompt goes before the prompt text (zero_shot), the instruction (instruct2, in upstream's
 *   `You are a helpful assistant. <instruction><|endofprompt|>` form), or the text itself (sft and
 *   cross_lingual, which have no prompt text).
 * - CosyVoice2 has no assertion, but its instruct2 expects the marker at the end of the instruction.
 *
 * A marker the client typed anywhere in the request is kept and none is added: never two.
 */
export function originForm(input: SynthesisInput, model: OriginModel): OriginForm {
  const v3 = model === 'cosyvoice3'
  const typed = (...parts: (string | undefined)[]) => parts.some((part) => part?.includes(END_OF_PROMPT))
  switch (input.mode) {
    case 'sft': {
      const text = v3 && !typed(input.text) ? `${DEFAULT_PROMPT}${input.text}` : input.text
      return {
        path: '/inference_sft',
        fields: [
          ['tts_text', text],
          ['spk_id', input.speaker ?? ''],
        ],
        needsPromptWav: false,
      }
    }
    case 'zero_shot': {
      const promptText = input.promptText ?? ''
      return {
        path: '/inference_zero_shot',
        fields: [
          ['tts_text', input.text],
          ['prompt_text', v3 && !typed(input.text, promptText) ? `${DEFAULT_PROMPT}${promptText}` : promptText],
        ],
        needsPromptWav: true,
      }
    }
    case 'cross_lingual': {
      const text = v3 && !typed(input.text) ? `${DEFAULT_PROMPT}${input.text}` : input.text
      return { path: '/inference_cross_lingual', fields: [['tts_text', text]], needsPromptWav: true }
    }
    case 'instruct2': {
      const instruct = input.instruct ?? ''
      const instructText = typed(input.text, instruct) ? instruct : v3 ? `${SYSTEM_PROMPT} ${instruct}${END_OF_PROMPT}` : `${instruct}${END_OF_PROMPT}`
      return {
        path: '/inference_instruct2',
        fields: [
          ['tts_text', input.text],
          ['instruct_text', instructText],
        ],
        needsPromptWav: true,
      }
    }
  }
}
