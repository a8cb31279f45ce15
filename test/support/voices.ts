import { expect } from 'vitest'
import { call } from './api'
import { makeWav } from './make-audio'

export interface VoiceUpload {
  name?: string
  promptText?: string
  /** The prompt file; default a 2 s, 16 kHz WAV tone. */
  wav?: Uint8Array
}

/** The multipart form of `POST /v1/voices`. */
export function voiceForm(o: VoiceUpload = {}): FormData {
  const form = new FormData()
  form.append('name', o.name ?? 'My voice')
  form.append('prompt_text', o.promptText ?? 'Hello, this is my voice.')
  form.append('prompt_wav', new File([o.wav ?? makeWav({ sampleRate: 16000, seconds: 2 })], 'prompt.wav', { type: 'audio/wav' }))
  return form
}

/** A voice of the token's user, uploaded (201 expected). */
export async function createVoice(token: string, o: VoiceUpload = {}): Promise<{ voice_id: string; bytes: number }> {
  const res = await call('POST', '/v1/voices', { token, body: voiceForm(o) })
  expect(res.status).toBe(201)
  return (await res.json()) as { voice_id: string; bytes: number }
}
