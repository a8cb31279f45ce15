import type { OriginConfig } from '../config/origins'

export type SynthesisMode = 'zero_shot' | 'cross_lingual' | 'instruct2' | 'sft'
export const SYNTHESIS_MODES: readonly SynthesisMode[] = ['zero_shot', 'cross_lingual', 'instruct2', 'sft']

/** CosyVoice3 asserts this marker is present; the Triton runtime adds the same default prompt. */
export const END_OF_PROMPT = '<|endofprompt|>'
const SYSTEM_PROMPT = 'You are a helpful assistant.'

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
 * The stock FastAPI server's endpoint and form fields for a mode (COSYVOICE.md), with CosyVoice3's
 * prompt markers added so clients send plain text and plain instructions.
 */
export function originForm(input: SynthesisInput, model: OriginConfig['model']): OriginForm {
  const v3 = model === 'cosyvoice3'
  const withPrompt = (s: string) => (v3 && !s.includes(END_OF_PROMPT) ? `${SYSTEM_PROMPT}${END_OF_PROMPT}${s}` : s)
  switch (input.mode) {
    case 'sft':
      return { path: '/inference_sft', fields: [['tts_text', input.text], ['spk_id', input.speaker ?? '']], needsPromptWav: false }
    case 'zero_shot':
      return {
        path: '/inference_zero_shot',
        fields: [['tts_text', input.text], ['prompt_text', withPrompt(input.promptText ?? '')]],
        needsPromptWav: true,
      }
    case 'cross_lingual':
      return { path: '/inference_cross_lingual', fields: [['tts_text', withPrompt(input.text)]], needsPromptWav: true }
    case 'instruct2': {
      const instruct = input.instruct ?? ''
      const instructText = v3 && !instruct.includes(END_OF_PROMPT) ? `${SYSTEM_PROMPT} ${instruct}${END_OF_PROMPT}` : instruct
      return { path: '/inference_instruct2', fields: [['tts_text', input.text], ['instruct_text', instructText]], needsPromptWav: true }
    }
  }
}
