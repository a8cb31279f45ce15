import { expect } from 'vitest'
import { call } from './api'

/** A fresh client address per call: the anonymous routes (/d/, /s/) are rate limited per IP. */
export const newIp = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}-${crypto.randomUUID().slice(0, 6)}`

/** Synthesizes `speech` for the token's user and returns the stored audio's id and exact bytes. */
export async function synthesizeStored(token: string, speech: Record<string, string>): Promise<{ id: string; bytes: Uint8Array }> {
  const res = await call('POST', '/v1/tts', { token, json: speech })
  expect(res.status).toBe(200)
  await res.arrayBuffer()
  const id = res.headers.get('x-audio-id')!
  const stored = await call('GET', `/v1/audio/${id}/content`, { token })
  return { id, bytes: new Uint8Array(await stored.arrayBuffer()) }
}
