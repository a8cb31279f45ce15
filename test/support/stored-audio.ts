import { expect } from 'vitest'
import { call } from './api'

/** Synthesizes `speech` for the token's user and returns the stored audio's id and exact bytes. */
export async function synthesizeStored(token: string, speech: Record<string, string>): Promise<{ id: string; bytes: Uint8Array }> {
  const res = await call('POST', '/v1/tts', { token, json: speech })
  expect(res.status).toBe(200)
  await res.arrayBuffer()
  const id = res.headers.get('x-audio-id')!
  const stored = await call('GET', `/v1/audio/${id}/content`, { token })
  return { id, bytes: new Uint8Array(await stored.arrayBuffer()) }
}
