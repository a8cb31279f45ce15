import { describe, expect, it } from 'vitest'
import { originForm, type SynthesisInput } from './cosyvoice-form'

const PROMPT = 'You are a helpful assistant.<|endofprompt|>'
const fieldsOf = (input: SynthesisInput, model: 'cosyvoice3' | 'cosyvoice2') => Object.fromEntries(originForm(input, model).fields)

describe('originForm: the markers each model expects, never two', () => {
  const cases: [string, SynthesisInput, 'cosyvoice3' | 'cosyvoice2', Record<string, string>][] = [
    ['v3 sft: prefix before the text', { mode: 'sft', text: 'Hi.', speaker: 'a' }, 'cosyvoice3', { tts_text: `${PROMPT}Hi.`, spk_id: 'a' }],
    ['v3 zero_shot: prefix before the transcript', { mode: 'zero_shot', text: 'Hi.', promptText: 'Me.' }, 'cosyvoice3', { tts_text: 'Hi.', prompt_text: `${PROMPT}Me.` }],
    ['v3 cross_lingual: prefix before the text', { mode: 'cross_lingual', text: 'Hi.' }, 'cosyvoice3', { tts_text: `${PROMPT}Hi.` }],
    [
      'v3 instruct2: system prompt, instruction, marker',
      { mode: 'instruct2', text: 'Hi.', instruct: 'Slowly.' },
      'cosyvoice3',
      { tts_text: 'Hi.', instruct_text: `You are a helpful assistant. Slowly.<|endofprompt|>` },
    ],
    ['v2 sft: as sent', { mode: 'sft', text: 'Hi.', speaker: 'a' }, 'cosyvoice2', { tts_text: 'Hi.', spk_id: 'a' }],
    ['v2 zero_shot: as sent', { mode: 'zero_shot', text: 'Hi.', promptText: 'Me.' }, 'cosyvoice2', { tts_text: 'Hi.', prompt_text: 'Me.' }],
    ['v2 cross_lingual: as sent', { mode: 'cross_lingual', text: 'Hi.' }, 'cosyvoice2', { tts_text: 'Hi.' }],
    [
      'v2 instruct2: marker after the instruction',
      { mode: 'instruct2', text: 'Hi.', instruct: '用四川话说这句话' },
      'cosyvoice2',
      { tts_text: 'Hi.', instruct_text: '用四川话说这句话<|endofprompt|>' },
    ],
    ['v3 sft typed: kept', { mode: 'sft', text: `${PROMPT}Hi.`, speaker: 'a' }, 'cosyvoice3', { tts_text: `${PROMPT}Hi.`, spk_id: 'a' }],
    [
      'v3 zero_shot typed in the text: transcript kept',
      { mode: 'zero_shot', text: 'X<|endofprompt|>Hi.', promptText: 'Me.' },
      'cosyvoice3',
      { tts_text: 'X<|endofprompt|>Hi.', prompt_text: 'Me.' },
    ],
    ['v3 zero_shot typed in the transcript: kept', { mode: 'zero_shot', text: 'Hi.', promptText: `${PROMPT}Me.` }, 'cosyvoice3', { tts_text: 'Hi.', prompt_text: `${PROMPT}Me.` }],
    [
      'v3 instruct2 typed in the instruction: kept',
      { mode: 'instruct2', text: 'Hi.', instruct: 'Slowly.<|endofprompt|>' },
      'cosyvoice3',
      { tts_text: 'Hi.', instruct_text: 'Slowly.<|endofprompt|>' },
    ],
    [
      'v2 instruct2 typed: kept',
      { mode: 'instruct2', text: 'Hi.', instruct: 'Slowly.<|endofprompt|>' },
      'cosyvoice2',
      { tts_text: 'Hi.', instruct_text: 'Slowly.<|endofprompt|>' },
    ],
  ]
  for (const [name, input, model, fields] of cases) {
    it(name, () => {
      expect(fieldsOf(input, model)).toEqual(fields)
      const all = Object.values(fieldsOf(input, model)).join('')
      expect(all.split('<|endofprompt|>').length - 1, 'markers in prompt text + text').toBe(model === 'cosyvoice3' || input.mode === 'instruct2' ? 1 : 0)
    })
  }

  it('each mode goes to its endpoint, with prompt audio where the endpoint takes it', () => {
    expect(originForm({ mode: 'sft', text: 'a', speaker: 'b' }, 'cosyvoice3')).toMatchObject({ path: '/inference_sft', needsPromptWav: false })
    expect(originForm({ mode: 'zero_shot', text: 'a' }, 'cosyvoice3')).toMatchObject({ path: '/inference_zero_shot', needsPromptWav: true })
    expect(originForm({ mode: 'cross_lingual', text: 'a' }, 'cosyvoice3')).toMatchObject({ path: '/inference_cross_lingual', needsPromptWav: true })
    expect(originForm({ mode: 'instruct2', text: 'a', instruct: 'b' }, 'cosyvoice3')).toMatchObject({ path: '/inference_instruct2', needsPromptWav: true })
  })
})
