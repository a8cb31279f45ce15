import { describe, expect, it } from 'vitest'
import { trailUntil } from './support/audit-trail'
import { call, errorOf } from './support/api'
import { makeFlac, makePng, makeWav } from './support/make-audio'
import { originRecords } from './support/origin'
import { tokenFor, uniqueUser } from './support/tokens'
import { sha256 } from './support/wav'

const END_OF_PROMPT = 'You are a helpful assistant.<|endofprompt|>'
const PROMPT_TEXT = '希望你以后能够做的比我还好呦。'

interface VoiceView {
  voice_id: string
  name: string
  prompt_text: string
  format: string
  sample_rate: number
  channels: number
  duration_seconds: number
  bytes: number
  created: string
  content_url: string
  shared?: boolean
}

interface UploadOptions {
  name?: string | null
  promptText?: string | null
  file?: Uint8Array | string | null
  filename?: string
  type?: string
  extra?: Record<string, string>
}

function voiceForm(o: UploadOptions = {}): FormData {
  const form = new FormData()
  if (o.name !== null) form.append('name', o.name ?? 'My voice')
  if (o.promptText !== null) form.append('prompt_text', o.promptText ?? PROMPT_TEXT)
  if (typeof o.file === 'string') form.append('prompt_wav', o.file)
  else if (o.file !== null) form.append('prompt_wav', new File([o.file ?? makeWav({ sampleRate: 16000, seconds: 2 })], o.filename ?? 'prompt.wav', { type: o.type ?? 'audio/wav' }))
  for (const [k, v] of Object.entries(o.extra ?? {})) form.append(k, v)
  return form
}

const upload = (token: string, o: UploadOptions = {}) => call('POST', '/v1/voices', { token, body: voiceForm(o) })

async function createVoice(token: string, o: UploadOptions = {}): Promise<VoiceView> {
  const res = await upload(token, o)
  expect(res.status).toBe(201)
  return (await res.json()) as VoiceView
}

async function listVoices(token: string): Promise<VoiceView[]> {
  const res = await call('GET', '/v1/voices', { token })
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: VoiceView[] }).items
}

/** The caller's trail, as "action resource" lines, once it holds at least `want` entries. */
async function auditActions(token: string, want: number): Promise<string[]> {
  const items = await trailUntil<{ action: string; resource: string }>(
    () => call('GET', '/v1/audit', { token }),
    (entries) => entries.length >= want,
  )
  return items.map((e) => `${e.action} ${e.resource}`)
}

describe('POST /v1/voices: prompt audio is checked at the edge', () => {
  const accepted: [string, () => Uint8Array, Partial<VoiceView>][] = [
    ['16 kHz mono WAV', () => makeWav({ sampleRate: 16000, seconds: 2 }), { format: 'wav', sample_rate: 16000, channels: 1, duration_seconds: 2 }],
    ['24 kHz mono WAV', () => makeWav({ sampleRate: 24000, seconds: 3 }), { format: 'wav', sample_rate: 24000, channels: 1, duration_seconds: 3 }],
    ['48 kHz mono WAV', () => makeWav({ sampleRate: 48000, seconds: 1.5 }), { format: 'wav', sample_rate: 48000, channels: 1, duration_seconds: 1.5 }],
    ['48 kHz stereo 24-bit WAV', () => makeWav({ sampleRate: 48000, channels: 2, bits: 24, seconds: 2 }), { format: 'wav', sample_rate: 48000, channels: 2 }],
    ['32-bit float WAV', () => makeWav({ sampleRate: 22050, float: true, bits: 32, seconds: 2 }), { format: 'wav', sample_rate: 22050 }],
    ['FLAC', () => makeFlac({ sampleRate: 44100, seconds: 2 }), { format: 'flac', sample_rate: 44100, channels: 1, duration_seconds: 2 }],
  ]
  for (const [what, make, expected] of accepted) {
    it(`accepts a ${what} and stores it as uploaded`, async () => {
      const token = await tokenFor(uniqueUser())
      const bytes = make()
      const res = await upload(token, { file: bytes, name: 'Narrator' })
      expect(res.status).toBe(201)
      const voice = (await res.json()) as VoiceView
      expect(voice.voice_id).toMatch(/^[0-9a-z]{8}[0-9a-f]{24}$/)
      expect(res.headers.get('location')).toBe(`/v1/voices/${voice.voice_id}`)
      expect(voice).toMatchObject({ name: 'Narrator', prompt_text: PROMPT_TEXT, bytes: bytes.length, content_url: `/v1/voices/${voice.voice_id}/content`, ...expected })

      const content = await call('GET', voice.content_url, { token })
      expect(content.status).toBe(200)
      expect(content.headers.get('content-type')).toBe(expected.format === 'flac' ? 'audio/flac' : 'audio/wav')
      expect(content.headers.get('content-disposition')).toContain(`${voice.voice_id}.${expected.format}`)
      expect(await sha256(new Uint8Array(await content.arrayBuffer()))).toBe(await sha256(bytes))
    })
  }

  const refused: [string, () => Uint8Array, number, string, RegExp][] = [
    ['an 8 kHz WAV', () => makeWav({ sampleRate: 8000, seconds: 2 }), 400, 'invalid_audio', /sample rate 8000 Hz is below the minimum of 16000 Hz/],
    ['a 31 s WAV', () => makeWav({ sampleRate: 16000, seconds: 31 }), 400, 'invalid_audio', /duration 31\.0 s is over the maximum of 30 s/],
    ['a 0.5 s WAV', () => makeWav({ sampleRate: 16000, seconds: 0.5 }), 400, 'invalid_audio', /duration 0\.5 s is under the minimum of 1 s/],
    [
      'a WAV whose header claims more audio than it has',
      () => makeWav({ sampleRate: 16000, seconds: 2 }).slice(0, 20000),
      400,
      'invalid_audio',
      /claims 64000 bytes of audio but only 19956 are present/,
    ],
    ['an 8-bit WAV', () => makeWav({ sampleRate: 16000, bits: 8, seconds: 2 }), 400, 'invalid_audio', /8 bits per sample is not supported/],
    ['a PNG renamed .wav', () => makePng(), 415, 'unsupported_media_type', /expected a WAV or FLAC file/],
    ['an empty file', () => new Uint8Array(0), 415, 'unsupported_media_type', /empty file/],
  ]
  for (const [what, make, status, code, message] of refused) {
    it(`refuses ${what} (${status}) and stores nothing`, async () => {
      const token = await tokenFor(uniqueUser())
      const res = await upload(token, { file: make(), filename: 'voice.wav', type: 'audio/wav' })
      expect(res.status).toBe(status)
      const error = await errorOf(res)
      expect(error.code).toBe(code)
      expect(error.message).toMatch(message)
      expect(await listVoices(token)).toEqual([])
    })
  }
})

describe('POST /v1/voices: the form itself', () => {
  const cases: [string, UploadOptions, RegExp][] = [
    ['a missing prompt_text', { promptText: null }, /missing field "prompt_text"/],
    ['a missing name', { name: null }, /missing field "name"/],
    ['a missing prompt_wav', { file: null }, /missing field "prompt_wav"/],
    ['an extra field', { extra: { speaker: 'x' } }, /unknown field "speaker"/],
    ['a repeated field', { extra: { name: 'again' } }, /"name" is sent more than once/],
    ['a blank prompt_text', { promptText: '  \n ' }, /"prompt_text" must not be empty/],
    ['a prompt_text over 1000 characters', { promptText: '好'.repeat(1001) }, /"prompt_text" is over 1000 characters/],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, /"name" is over 100 characters/],
    ['a name with a line break', { name: 'a\nb' }, /"name" contains control characters/],
    ['prompt_wav sent as text', { file: 'RIFF....WAVE' }, /"prompt_wav" must be a file/],
  ]
  for (const [what, options, message] of cases) {
    it(`refuses ${what} with a 400 that says so`, async () => {
      const token = await tokenFor(uniqueUser())
      const res = await upload(token, options)
      expect(res.status).toBe(400)
      expect(await errorOf(res)).toMatchObject({ code: 'invalid_upload', message: expect.stringMatching(message) })
      expect(await listVoices(token)).toEqual([])
    })
  }

  it('refuses a body that is not multipart with 415', async () => {
    const res = await call('POST', '/v1/voices', { token: await tokenFor(uniqueUser()), json: { name: 'x', prompt_text: 'y' } })
    expect(res.status).toBe(415)
    expect((await errorOf(res)).code).toBe('unsupported_media_type')
  })

  /** A voice form as bytes, so a test decides whether the request states its length. */
  async function framed(o: UploadOptions): Promise<{ bytes: Uint8Array; contentType: string }> {
    const request = new Request('https://x', { method: 'POST', body: voiceForm(o) })
    return { bytes: new Uint8Array(await request.arrayBuffer()), contentType: request.headers.get('content-type')! }
  }
  const oversized = { file: new Uint8Array(16 * 1024 * 1024 + 1) }

  it('refuses an upload over 16 MiB with 413, by its Content-Length', async () => {
    const token = await tokenFor(uniqueUser())
    const { bytes, contentType } = await framed(oversized)
    const res = await call('POST', '/v1/voices', { token, body: bytes, headers: { 'content-type': contentType } })
    expect(res.status).toBe(413)
    expect((await errorOf(res)).code).toBe('body_too_large')
  })

  it('refuses an upload over 16 MiB with 413 while reading one that has no length', async () => {
    const token = await tokenFor(uniqueUser())
    const { bytes, contentType } = await framed(oversized)
    const chunk = 1024 * 1024
    let at = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close()
        controller.enqueue(bytes.slice(at, at + chunk))
        at += chunk
      },
    })
    const res = await call('POST', '/v1/voices', { token, body: stream, headers: { 'content-type': contentType } })
    expect(res.status).toBe(413)
    expect((await errorOf(res)).code).toBe('body_too_large')
    expect(await listVoices(token)).toEqual([])
  })

  it('accepts a valid upload that has no length (chunked)', async () => {
    const token = await tokenFor(uniqueUser())
    const { bytes, contentType } = await framed({})
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 1000))
        controller.enqueue(bytes.slice(1000))
        controller.close()
      },
    })
    const res = await call('POST', '/v1/voices', { token, body: stream, headers: { 'content-type': contentType } })
    expect(res.status).toBe(201)
  })

  it('needs a token with the voices scope', async () => {
    expect((await upload('')).status).toBe(401)
    const ttsOnly = await tokenFor(uniqueUser(), { scope: 'tts' })
    const res = await upload(ttsOnly)
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toContain('insufficient_scope')
  })
})

describe("a user's voices", () => {
  it('lists, shows and deletes them, and gives their bytes back to the storage quota', async () => {
    const token = await tokenFor(uniqueUser('alice'))
    const first = await createVoice(token, { name: 'First' })
    const second = await createVoice(token, { name: 'Second', file: makeFlac({ sampleRate: 24000, seconds: 2 }) })

    const items = await listVoices(token)
    expect(items.map((v) => [v.voice_id, v.name])).toEqual([
      [second.voice_id, 'Second'],
      [first.voice_id, 'First'],
    ])
    expect(items[0]).toMatchObject({ prompt_text: PROMPT_TEXT, format: 'flac', sample_rate: 24000 })

    const shown = await call('GET', `/v1/voices/${first.voice_id}`, { token })
    expect(shown.status).toBe(200)
    expect(await shown.json()).toMatchObject({ ...first, shared: false })

    const usage = async () => ((await (await call('GET', '/v1/usage', { token })).json()) as { storage_bytes: { used: number } }).storage_bytes.used
    expect(await usage()).toBe(first.bytes + second.bytes)

    const deleted = await call('DELETE', `/v1/voices/${first.voice_id}`, { token })
    expect(deleted.status).toBe(204)
    expect((await call('GET', `/v1/voices/${first.voice_id}`, { token })).status).toBe(404)
    expect((await call('GET', `/v1/voices/${first.voice_id}/content`, { token })).status).toBe(404)
    expect((await call('DELETE', `/v1/voices/${first.voice_id}`, { token })).status).toBe(404)
    expect((await listVoices(token)).map((v) => v.voice_id)).toEqual([second.voice_id])
    expect(await usage()).toBe(second.bytes)

    const trail = await auditActions(token, 3)
    expect(trail).toEqual(expect.arrayContaining([`voice.create ${first.voice_id}`, `voice.create ${second.voice_id}`, `voice.delete ${first.voice_id}`]))
  })

  it('deleting needs a recent login: an older token gets 401 reauth_required and nothing is deleted', async () => {
    const sub = uniqueUser()
    const voice = await createVoice(await tokenFor(sub))
    const stale = await tokenFor(sub, { iat: Math.floor(Date.now() / 1000) - 600 })
    const res = await call('DELETE', `/v1/voices/${voice.voice_id}`, { token: stale })
    expect(res.status).toBe(401)
    expect((await errorOf(res)).code).toBe('reauth_required')
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_user_authentication"')
    // The same answer for a voice that does not exist: a stale token learns nothing.
    expect((await call('DELETE', '/v1/voices/0000000000000000000000000000abcd', { token: stale })).status).toBe(401)
    expect((await call('GET', `/v1/voices/${voice.voice_id}`, { token: stale })).status).toBe(200)
    expect((await call('DELETE', `/v1/voices/${voice.voice_id}`, { token: await tokenFor(sub) })).status).toBe(204)
  })

  it('serves the prompt with ranges', async () => {
    const token = await tokenFor(uniqueUser())
    const voice = await createVoice(token)
    const res = await call('GET', voice.content_url, { token, headers: { range: 'bytes=0-3' } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes 0-3/${voice.bytes}`)
    expect(new TextDecoder().decode(await res.arrayBuffer())).toBe('RIFF')
  })

  it('refuses a voice that does not fit the storage quota with 413', async () => {
    const token = await tokenFor(uniqueUser(), { role: 'tiny' }) // 300 kB of storage
    const res = await upload(token, { file: makeWav({ sampleRate: 24000, seconds: 10 }) }) // 480 kB
    expect(res.status).toBe(413)
    expect(await errorOf(res)).toMatchObject({ code: 'storage_quota', message: expect.stringMatching(/needs 480044 bytes and 300000 are left/) })
    expect(await listVoices(token)).toEqual([])
  })

  it("keeps at most the tier's number of voices (free: 5)", async () => {
    const token = await tokenFor(uniqueUser())
    const small = makeWav({ sampleRate: 16000, seconds: 1.1 })
    for (let i = 0; i < 5; i++) await createVoice(token, { file: small, name: `v${i}` })
    const res = await upload(token, { file: small })
    expect(res.status).toBe(409)
    expect(await errorOf(res)).toMatchObject({ code: 'voice_limit', message: expect.stringMatching(/at most 5 voices/) })
    const one = (await listVoices(token))[0]!
    expect((await call('DELETE', `/v1/voices/${one.voice_id}`, { token })).status).toBe(204)
    expect((await upload(token, { file: small })).status).toBe(201)
  })

  it('holds the voice cap exactly under concurrent uploads', async () => {
    const token = await tokenFor(uniqueUser())
    const small = makeWav({ sampleRate: 16000, seconds: 1.1 })
    const statuses = await Promise.all(Array.from({ length: 8 }, (_, i) => upload(token, { file: small, name: `c${i}` }).then((r) => r.status)))
    expect(statuses.filter((s) => s === 201)).toHaveLength(5)
    expect(statuses.filter((s) => s === 409)).toHaveLength(3)
    expect(await listVoices(token)).toHaveLength(5)
  })
})

describe('cloning with a voice', () => {
  it("zero_shot sends the owner's prompt audio and transcript to the origin byte for byte", async () => {
    const token = await tokenFor(uniqueUser('alice'))
    const prompt = makeWav({ sampleRate: 48000, channels: 2, seconds: 2.5 })
    const voice = await createVoice(token, { file: prompt, promptText: PROMPT_TEXT })

    const res = await call('POST', '/v1/tts', { token, json: { text: '收到好友从远方寄来的生日礼物。', mode: 'zero_shot', voice_id: voice.voice_id } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('audio/wav')
    const audio = new Uint8Array(await res.arrayBuffer())
    expect(audio.length).toBeGreaterThan(44)

    const [record] = await originRecords(res.headers.get('x-request-id')!)
    expect(record).toMatchObject({ path: '/inference_zero_shot', outcome: 'audio' })
    expect(record!.fields.prompt_text).toBe(`${END_OF_PROMPT}${PROMPT_TEXT}`)
    expect(record!.files.prompt_wav).toMatchObject({ size: prompt.length, sha256: await sha256(prompt), type: 'audio/wav' })
  })

  it('cross_lingual and instruct2 send the prompt too, FLAC as FLAC', async () => {
    const token = await tokenFor(uniqueUser())
    const prompt = makeFlac({ sampleRate: 16000, seconds: 2 })
    const voice = await createVoice(token, { file: prompt })
    for (const [json, path] of [
      [{ text: 'Hello from far away.', mode: 'cross_lingual', voice_id: voice.voice_id }, '/inference_cross_lingual'],
      [{ text: '今天天气真好。', mode: 'instruct2', voice_id: voice.voice_id, instruct: '请用广东话表达。' }, '/inference_instruct2'],
    ] as const) {
      const res = await call('POST', '/v1/tts', { token, json })
      expect(res.status).toBe(200)
      await res.arrayBuffer()
      const [record] = await originRecords(res.headers.get('x-request-id')!)
      expect(record).toMatchObject({ path, outcome: 'audio' })
      expect(record!.files.prompt_wav).toMatchObject({ size: prompt.length, sha256: await sha256(prompt), type: 'audio/flac' })
    }
  })

  it('a mode that needs a voice refuses to run without one', async () => {
    const res = await call('POST', '/v1/tts', { token: await tokenFor(uniqueUser()), json: { text: 'hi', mode: 'cross_lingual' } })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).message).toMatch(/needs a "voice_id"/)
  })
})

describe("isolation: another user's voice does not exist for you", () => {
  it("Bob gets 404 with Alice's voice_id on tts, get, content and delete, exactly as for a missing one", async () => {
    const alice = await tokenFor(uniqueUser('alice'))
    const bob = await tokenFor(uniqueUser('bob'))
    const voice = await createVoice(alice)
    const missing = '0000000000000000000000000000abcd'

    const attempts = (id: string) => [
      call('POST', '/v1/tts', { token: bob, json: { text: 'Hello.', mode: 'zero_shot', voice_id: id } }),
      call('GET', `/v1/voices/${id}`, { token: bob }),
      call('GET', `/v1/voices/${id}/content`, { token: bob }),
      call('DELETE', `/v1/voices/${id}`, { token: bob }),
    ]
    const theirs = await Promise.all(attempts(voice.voice_id))
    const absent = await Promise.all(attempts(missing))
    for (const [i, res] of theirs.entries()) {
      expect(res.status).toBe(404)
      const [a, b] = [await errorOf(res), await errorOf(absent[i]!)]
      expect(absent[i]!.status).toBe(404)
      expect({ code: a.code, message: a.message }).toEqual({ code: b.code, message: b.message })
    }
    expect(await listVoices(bob)).toEqual([])
    // Alice's voice is untouched by Bob's delete.
    expect((await call('GET', `/v1/voices/${voice.voice_id}`, { token: alice })).status).toBe(200)
  })
})

describe('shared voices', () => {
  it('a published voice can be used by everyone, downloaded by nobody but its owner', async () => {
    const aliceSub = uniqueUser('alice')
    const alice = await tokenFor(aliceSub)
    const bob = await tokenFor(uniqueUser('bob'))
    const admin = await tokenFor(uniqueUser('root'), { role: 'admin' })
    const prompt = makeWav({ sampleRate: 24000, seconds: 2 })
    const voice = await createVoice(alice, { file: prompt, name: 'House voice' })
    const synth = () => call('POST', '/v1/tts', { token: bob, json: { text: 'Hello there.', mode: 'zero_shot', voice_id: voice.voice_id } })

    expect((await synth()).status).toBe(404)
    // Only an admin publishes; the owner is named by sub.
    expect((await call('POST', `/admin/voices/${voice.voice_id}/publish?sub=${encodeURIComponent(aliceSub)}`, { token: alice })).status).toBe(403)
    expect((await call('POST', `/admin/voices/${voice.voice_id}/publish?sub=${encodeURIComponent(uniqueUser('nobody'))}`, { token: admin })).status).toBe(404)
    // An issuer without a sub names nobody: refused, rather than taken to mean the admin's own voice.
    const issuerOnly = await call('POST', `/admin/voices/${voice.voice_id}/publish?iss=cosyvoice-edge`, { token: admin })
    expect(issuerOnly.status).toBe(400)
    expect(await errorOf(issuerOnly)).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/sub/) })
    const published = await call('POST', `/admin/voices/${voice.voice_id}/publish?sub=${encodeURIComponent(aliceSub)}`, { token: admin })
    expect(published.status).toBe(200)
    expect(await published.json()).toMatchObject({ voice_id: voice.voice_id, name: 'House voice', shared: true })

    const res = await synth()
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const [record] = await originRecords(res.headers.get('x-request-id')!)
    expect(record!.files.prompt_wav!.sha256).toBe(await sha256(prompt))
    expect(record!.fields.prompt_text).toBe(`${END_OF_PROMPT}${PROMPT_TEXT}`)

    expect((await call('GET', `/v1/voices/${voice.voice_id}/content`, { token: bob })).status).toBe(404)
    expect((await call('GET', `/v1/voices/${voice.voice_id}`, { token: bob })).status).toBe(404)
    expect((await call('DELETE', `/v1/voices/${voice.voice_id}`, { token: bob })).status).toBe(404)
    expect((await call('GET', `/v1/voices/${voice.voice_id}/content`, { token: alice })).status).toBe(200)
    expect(await (await call('GET', `/v1/voices/${voice.voice_id}`, { token: alice })).json()).toMatchObject({ shared: true })

    const listed = (await (await call('GET', '/v1/shared-voices?limit=100', { token: bob })).json()) as { items: Record<string, unknown>[] }
    // A page asks every owner on it: it holds at most 100 voices.
    expect((await call('GET', '/v1/shared-voices?limit=101', { token: bob })).status).toBe(400)
    const entry = listed.items.find((v) => v.voice_id === voice.voice_id)
    expect(entry).toEqual({ voice_id: voice.voice_id, name: 'House voice', published: expect.any(String) })

    // Alice's trail shows who published her voice.
    expect(await auditActions(alice, 2)).toContain(`voice.publish ${voice.voice_id}`)

    // Withdrawn: Bob can no longer use it.
    expect((await call('DELETE', `/admin/voices/${voice.voice_id}/publish?sub=${encodeURIComponent(aliceSub)}`, { token: admin })).status).toBe(204)
    expect((await synth()).status).toBe(404)
  })

  it('deleting a published voice withdraws it', async () => {
    const admin = await tokenFor(uniqueUser('root'), { role: 'admin' })
    const bob = await tokenFor(uniqueUser('bob'))
    const voice = await createVoice(admin)
    expect((await call('POST', `/admin/voices/${voice.voice_id}/publish`, { token: admin })).status).toBe(200)
    const synth = () => call('POST', '/v1/tts', { token: bob, json: { text: 'Hello.', mode: 'zero_shot', voice_id: voice.voice_id } })
    const ok = await synth()
    expect(ok.status).toBe(200)
    await ok.arrayBuffer()
    expect((await call('DELETE', `/v1/voices/${voice.voice_id}`, { token: admin })).status).toBe(204)
    expect((await synth()).status).toBe(404)
    const listed = (await (await call('GET', '/v1/shared-voices?limit=100', { token: bob })).json()) as { items: { voice_id: string }[] }
    expect(listed.items.map((v) => v.voice_id)).not.toContain(voice.voice_id)
  })
})
