import { describe, expect, it } from 'vitest'
import { call, errorOf, listKeys } from './support/api'
import { FLAC_FIXTURES } from './support/flac-fixtures'
import { makeFlac, makeWav } from './support/make-audio'
import { originRecords } from './support/origin'
import { tokenFor, uniqueUser } from './support/tokens'
import { sha256 } from './support/wav'
import { env } from 'cloudflare:workers'
import { userKey } from '../src/auth/user-key'

/**
 * Issue 13, finding 4: a 44-byte FLAC whose header claims 10 s at 16 kHz was accepted as a voice
 * (only the header and the frame sync were checked), so an origin got a prompt with no audio.
 * Prompts are now read for what their header claims, and refused when silent.
 */
function upload(token: string, file: Uint8Array, type: string) {
  const form = new FormData()
  form.append('name', 'Voice')
  form.append('prompt_text', '希望你以后能够做的比我还好呦。')
  form.append('prompt_wav', new File([file], type === 'audio/flac' ? 'prompt.flac' : 'prompt.wav', { type }))
  return call('POST', '/v1/voices', { token, body: form })
}

/** A 2 s 16 kHz WAV whose samples are all `value`. */
function flatWav(value: number): Uint8Array {
  const wav = makeWav({ sampleRate: 16000, seconds: 2 })
  new Int16Array(wav.buffer, 44).fill(value)
  return wav
}

async function expectRefused(sub: string, res: Response, message: RegExp) {
  expect(res.status).toBe(400)
  const error = await errorOf(res)
  expect(error.code).toBe('invalid_audio')
  expect(error.message).toMatch(message)
  // Nothing stored, nothing charged.
  const token = await tokenFor(sub)
  expect(((await (await call('GET', '/v1/voices', { token })).json()) as { items: unknown[] }).items).toEqual([])
  expect(((await (await call('GET', '/v1/usage', { token })).json()) as { storage_bytes: { used: number } }).storage_bytes.used).toBe(0)
  expect(await listKeys(env.AUDIO, `users/${await userKey('cosyvoice-edge', sub)}/`)).toEqual([])
}

describe('POST /v1/voices reads the prompt audio itself', () => {
  it('the hollow FLAC of the finding (44 bytes, "10 s at 16 kHz") → 400 invalid_audio', async () => {
    const hollow = makeFlac({ sampleRate: 16000, seconds: 10 }).slice(0, 44)
    const sub = uniqueUser()
    await expectRefused(sub, await upload(await tokenFor(sub), hollow, 'audio/flac'), /^prompt_wav: FLAC audio ends after 0\.00 s of the 10\.00 s its header states$/)
  })

  it('a FLAC cut short after its first frames → 400 saying how much audio there is', async () => {
    const flac = FLAC_FIXTURES.lpc16
    const sub = uniqueUser()
    await expectRefused(sub, await upload(await tokenFor(sub), flac.slice(0, Math.floor(flac.length * 0.6)), 'audio/flac'), /FLAC audio ends after 0\.\d+ s of the 1\.20 s/)
  })

  it('a silent WAV → 400 invalid_audio that says it is silent', async () => {
    const sub = uniqueUser()
    await expectRefused(sub, await upload(await tokenFor(sub), flatWav(0), 'audio/wav'), /^prompt_wav: the prompt is silent/)
  })

  it('a near-silent WAV and FLAC → 400 invalid_audio that says so, with the level', async () => {
    const sub = uniqueUser()
    const hiss = flatWav(0)
    const samples = new Int16Array(hiss.buffer, 44)
    for (let i = 0; i < samples.length; i++) samples[i] = ((i * 7919) % 7) - 3
    await expectRefused(sub, await upload(await tokenFor(sub), hiss, 'audio/wav'), /^prompt_wav: the prompt is near-silent: its loudest moment is -\d+\.\d dBFS/)
    await expectRefused(sub, await upload(await tokenFor(sub), FLAC_FIXTURES.hiss16, 'audio/flac'), /near-silent/)
  })

  it("a real encoder's FLAC is accepted, and streamed to the origin byte for byte", async () => {
    const token = await tokenFor(uniqueUser())
    const flac = FLAC_FIXTURES.lpc16
    const res = await upload(token, flac, 'audio/flac')
    expect(res.status).toBe(201)
    const voice = (await res.json()) as { voice_id: string; duration_seconds: number }
    expect(voice.duration_seconds).toBe(1.2)
    const tts = await call('POST', '/v1/tts', { token, json: { text: 'Hello.', mode: 'cross_lingual', voice_id: voice.voice_id } })
    expect(tts.status).toBe(200)
    await tts.arrayBuffer()
    const [record] = await originRecords(tts.headers.get('x-request-id')!)
    expect(record!.files.prompt_wav).toMatchObject({ size: flac.length, sha256: await sha256(flac), type: 'audio/flac' })
  })
})
