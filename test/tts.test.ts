import { env } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import { PRESET_SPEAKERS } from '../dev/origin.mjs'
import { call, errorOf, listKeys } from './support/api'
import { appWith } from './support/app'
import { originRecords, originUrls } from './support/origin'
import { tokenFor, uniqueUser } from './support/tokens'
import { readWavHeader, rms, sha256 } from './support/wav'
import { createVoice } from './support/voices'

const HELLO = { text: '你好，世界。Hello there.', mode: 'sft', speaker: '中文女' }
/** What CosyVoice3 needs before text without a prompt (sft, cross_lingual) and before a transcript. */
const V3_PROMPT = 'You are a helpful assistant.<|endofprompt|>'

async function userPrefix(sub: string): Promise<string> {
  // Same mapping as the edge: the first key under users/ that appears for this user.
  const token = await tokenFor(sub)
  const res = await call('POST', '/v1/tts', { token, json: { ...HELLO, text: 'Key probe.' } })
  const id = res.headers.get('x-audio-id')
  await res.arrayBuffer()
  const key = (await listKeys(env.AUDIO, 'users/')).find((k) => k.endsWith(`/audio/${id}.wav`))!
  return key.slice(0, key.indexOf('/audio/') + 1)
}

describe('POST /v1/tts', () => {
  it('streams a playable 24 kHz WAV of real speech and stores the same audio as a complete WAV', async () => {
    // The one test where the speech itself is the point: an eSpeak origin, not the tone one.
    const edge = appWith({ ORIGINS: JSON.stringify([{ url: inject('speechOriginUrl'), concurrency: 1, speakers: PRESET_SPEAKERS }]) })
    const token = await tokenFor(uniqueUser('alice'))
    const res = await edge.fetch(
      new Request('https://edge.test/v1/tts', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(HELLO) }),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('audio/wav')
    const id = res.headers.get('x-audio-id')!
    expect(id).toMatch(/^[0-9a-z]{8}[0-9a-f]{24}$/)
    expect(res.headers.get('content-location')).toBe(`/v1/audio/${id}`)
    expect(res.headers.get('x-request-id')).toBeTruthy()

    const streamed = new Uint8Array(await res.arrayBuffer())
    const header = readWavHeader(streamed)
    expect(header).toMatchObject({ riff: 'RIFF', wave: 'WAVE', format: 1, channels: 1, sampleRate: 24000, bitsPerSample: 16, dataId: 'data' })
    const pcm = streamed.subarray(44)
    expect(pcm.length % 2).toBe(0)
    expect(pcm.length).toBeGreaterThan(24000 * 2 * 0.5) // more than half a second of speech
    expect(rms(pcm)).toBeGreaterThan(300) // audible, not silence

    const stored = await call('GET', `/v1/audio/${id}/content`, { token })
    expect(stored.status).toBe(200)
    expect(stored.headers.get('content-type')).toBe('audio/wav')
    const bytes = new Uint8Array(await stored.arrayBuffer())
    expect(Number(stored.headers.get('content-length'))).toBe(bytes.length)
    expect(readWavHeader(bytes)).toMatchObject({ sampleRate: 24000, channels: 1, bitsPerSample: 16, dataSize: pcm.length, riffSize: 36 + pcm.length })
    expect(await sha256(bytes.subarray(44))).toBe(await sha256(pcm))

    const meta = await call('GET', `/v1/audio/${id}`, { token })
    expect(meta.status).toBe(200)
    const view = (await meta.json()) as Record<string, unknown>
    expect(view).toMatchObject({ audio_id: id, mode: 'sft', speaker: '中文女', characters: 18, sample_rate: 24000, bytes: bytes.length })
    expect(view.duration_seconds).toBeCloseTo(pcm.length / 48000, 2)
    expect(view.text_sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(view.request_id).toBe(res.headers.get('x-request-id'))
    await edge.settled()
  })

  it('sends raw PCM when asked, labelled with its rate', async () => {
    const token = await tokenFor(uniqueUser())
    const res = await call('POST', '/v1/tts', { token, json: { ...HELLO, format: 'pcm' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-sample-rate')).toBe('24000')
    expect(res.headers.get('content-type')).toBe('audio/L16;rate=24000;channels=1')
    const body = new Uint8Array(await res.arrayBuffer())
    expect(String.fromCharCode(...body.subarray(0, 4))).not.toBe('RIFF')
    expect(body.length % 2).toBe(0)
    expect(rms(body)).toBeGreaterThan(300)
  })

  it('proves itself to the origin and says who the call is for', async () => {
    const sub = uniqueUser()
    const res = await call('POST', '/v1/tts', { token: await tokenFor(sub, { role: 'premium' }), json: HELLO })
    await res.arrayBuffer()
    const [record] = await originRecords(res.headers.get('x-request-id')!)
    expect(record).toBeDefined()
    expect(record!.path).toBe('/inference_sft')
    expect(record!.proofOk).toBe(true)
    expect(record!.headers['x-user-role']).toBe('premium')
    expect(record!.headers['x-user-id']).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(record!.headers['x-edge-signature']).toMatch(/^v1=[0-9a-f]{64}$/)
    expect(record!.fields).toEqual({ tts_text: `${V3_PROMPT}${HELLO.text}`, spk_id: '中文女' })
    expect(record!.outcome).toBe('audio')
  })

  it('keeps long audio bounded in memory and stores it whole (multipart upload)', async () => {
    const token = await tokenFor(uniqueUser(), { role: 'premium' })
    // ~2 s of speech repeated 70 times: well past one 5 MiB upload part.
    const res = await call('POST', '/v1/tts', { token, json: { text: 'Hello there, this is a long one. [[dev:repeat=70]]', mode: 'sft', speaker: '英文女' } })
    expect(res.status).toBe(200)
    const streamed = new Uint8Array(await res.arrayBuffer())
    expect(streamed.length).toBeGreaterThan(5 * 1024 * 1024 + 44)
    const id = res.headers.get('x-audio-id')!
    const stored = new Uint8Array(await (await call('GET', `/v1/audio/${id}/content`, { token })).arrayBuffer())
    expect(stored.length).toBe(streamed.length)
    expect(readWavHeader(stored).dataSize).toBe(streamed.length - 44)
    expect(await sha256(stored.subarray(44))).toBe(await sha256(streamed.subarray(44)))
  })

  it('a long recording cut mid-way leaves no incomplete multipart upload behind', async () => {
    // Listings never show an unfinished multipart upload, so the test notes each upload the Worker
    // starts and asks R2 about it afterwards: an upload that was aborted (or completed) takes no part.
    const uploads: { key: string; uploadId: string }[] = []
    const bucket = new Proxy(env.AUDIO, {
      get(target, prop) {
        if (prop === 'createMultipartUpload')
          return async (key: string, options?: R2MultipartOptions) => {
            const upload = await target.createMultipartUpload(key, options)
            uploads.push({ key, uploadId: upload.uploadId })
            return upload
          }
        const value = Reflect.get(target, prop)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const takesParts = (key: string, uploadId: string) =>
      env.AUDIO.resumeMultipartUpload(key, uploadId)
        .uploadPart(2, new Uint8Array(16))
        .then(
          () => true,
          () => false,
        )
    // The probe can tell: an upload left open takes a part.
    const open = await env.AUDIO.createMultipartUpload(`probe/${crypto.randomUUID()}`)
    expect(await takesParts(open.key, open.uploadId)).toBe(true)
    await open.abort()
    expect(await takesParts(open.key, open.uploadId)).toBe(false)

    const edge = appWith({ AUDIO: bucket })
    const token = await tokenFor(uniqueUser(), { role: 'premium' })
    // ~150 KB of audio a chunk: cut after 40 chunks, past the first 5 MiB part.
    const text = 'Hello there, this is a long one. [[dev:repeat=70]] [[dev:cut=40]]'
    const res = await edge.fetch(
      new Request('https://edge.test/v1/tts', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text, mode: 'sft', speaker: '英文女' }),
      }),
    )
    expect(res.status).toBe(200)
    await expect(res.arrayBuffer()).rejects.toThrow()
    await edge.settled() // dropping the recording is waitUntil work
    expect(uploads).toHaveLength(1)
    const [{ key, uploadId }] = uploads as [{ key: string; uploadId: string }]
    expect(await takesParts(key, uploadId)).toBe(false)
    expect(await env.AUDIO.head(key)).toBeNull()
  })
})

describe('POST /v1/tts validation', () => {
  const cases: [string, unknown, number, RegExp][] = [
    ['unknown field', { ...HELLO, extra: 1 }, 400, /unknown field "extra"/],
    ['empty text', { ...HELLO, text: '   ' }, 400, /text must not be empty/],
    ['text with nothing to speak (the origin would make no audio: a 502)', { ...HELLO, text: '。！？…  --' }, 400, /something to speak/],
    ['unknown mode', { ...HELLO, mode: 'karaoke' }, 400, /mode must be one of/],
    ['sft without speaker', { text: 'hi', mode: 'sft' }, 400, /needs a "speaker"/],
    ['zero_shot without voice', { text: 'hi', mode: 'zero_shot' }, 400, /needs a "voice_id"/],
    ['instruct2 without instruct', { text: 'hi', mode: 'instruct2', voice_id: 'x' }, 400, /needs an "instruct"/],
    ['text not a string', { ...HELLO, text: 42 }, 400, /text must be a string/],
    ['bad format', { ...HELLO, format: 'mp3' }, 400, /format must be/],
    ['text over the tier', { ...HELLO, text: 'a'.repeat(501) }, 413, /501 characters/],
  ]
  for (const [name, body, status, message] of cases) {
    it(`refuses ${name}`, async () => {
      const sub = uniqueUser()
      const res = await call('POST', '/v1/tts', { token: await tokenFor(sub), json: body })
      expect(res.status).toBe(status)
      expect((await errorOf(res)).message).toMatch(message)
    })
  }

  it('refuses a body that is not JSON', async () => {
    const res = await call('POST', '/v1/tts', { token: await tokenFor(uniqueUser()), body: 'text=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(res.status).toBe(415)
    const bad = await call('POST', '/v1/tts', { token: await tokenFor(uniqueUser()), body: '{', headers: { 'content-type': 'application/json' } })
    expect(bad.status).toBe(400)
    expect((await errorOf(bad)).code).toBe('invalid_json')
  })

  it('refuses a body over the limit even without a Content-Length, before reading it all', async () => {
    const chunk = new TextEncoder().encode(`{"text":"${'a'.repeat(16 * 1024)}`)
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.length
        if (sent > 10 * 1024 * 1024) return controller.close()
        controller.enqueue(chunk)
      },
    })
    const res = await call('POST', '/v1/tts', { token: await tokenFor(uniqueUser()), body, headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(413)
    expect((await errorOf(res)).code).toBe('body_too_large')
    expect(sent).toBeLessThan(1024 * 1024)
  })

  it('refuses a voice that does not exist with 404', async () => {
    const res = await call('POST', '/v1/tts', { token: await tokenFor(uniqueUser()), json: { text: 'hi', mode: 'zero_shot', voice_id: '0000000000000000000000000000aaaa' } })
    expect(res.status).toBe(404)
  })
})

describe('origin failures leave nothing that looks complete', () => {
  async function synth(text: string, speaker = '中文女') {
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    const res = await call('POST', '/v1/tts', { token, json: { text, mode: 'sft', speaker } })
    return { sub, token, res }
  }

  async function expectNothingStored(token: string) {
    const list = await call('GET', '/v1/audio', { token })
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([])
  }

  it('a model error before any audio (200, then the connection cut) → 502 origin_failed, nothing stored', async () => {
    const { res, token } = await synth('Hello there. [[dev:error]]')
    expect(res.status).toBe(502)
    expect((await errorOf(res)).code).toBe('origin_failed')
    const [record] = await originRecords(res.headers.get('x-request-id')!)
    expect(record!.outcome).toBe('model-error:fault:error')
    await expectNothingStored(token)
  })

  it('text the model would make nothing of (punctuation only) is refused before the origin: 400', async () => {
    // The stock server answers such text with a complete, empty 200; the edge knows it in advance.
    const { res, token } = await synth('。！？')
    expect(res.status).toBe(400)
    expect((await errorOf(res)).code).toBe('invalid_request')
    await expectNothingStored(token)
  })

  it('empty body → 502', async () => {
    const { res, token } = await synth('Hello there. [[dev:empty]]')
    expect(res.status).toBe(502)
    await expectNothingStored(token)
  })

  it('origin answering 500 → 502 origin_error', async () => {
    const { res, token } = await synth('Hello there. [[dev:error500]]')
    expect(res.status).toBe(502)
    expect((await errorOf(res)).code).toBe('origin_error')
    await expectNothingStored(token)
  })

  it('origin dropping the connection → 502', async () => {
    const { res, token } = await synth('Hello there. [[dev:refuse]]')
    expect(res.status).toBe(502)
    await expectNothingStored(token)
  })

  it('stream cut mid-way → the client stream aborts, nothing stored', async () => {
    const { res, token } = await synth('First sentence. Second sentence. Third one. [[dev:cut]]')
    expect(res.status).toBe(200)
    await expect(res.arrayBuffer()).rejects.toThrow()
    await expectNothingStored(token)
  })

  it('odd number of bytes → the client stream aborts, nothing stored', async () => {
    const { res, token } = await synth('Hello there. [[dev:odd]]')
    expect(res.status).toBe(200)
    await expect(res.arrayBuffer()).rejects.toThrow()
    await expectNothingStored(token)
  })

  it('an unreachable origin → 502 origin_unavailable', async () => {
    const { res, settled } = await synthWithOrigins('http://127.0.0.1:9')
    expect(res.status).toBe(502)
    expect((await errorOf(res)).code).toBe('origin_unavailable')
    await settled()
  })
})

async function synthWithOrigins(url: string) {
  // The app over the same bindings, pointed at other origins.
  const edge = appWith({ ORIGINS: JSON.stringify([{ url, speakers: PRESET_SPEAKERS }]) })
  const token = await tokenFor(uniqueUser())
  const res = await edge.fetch(
    new Request('https://edge.test/v1/tts', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(HELLO) }),
  )
  return { res, settled: edge.settled }
}

describe('speakers', () => {
  it('an sft speaker no origin declares → 400 unknown_speaker before anything is reserved or sent', async () => {
    const token = await tokenFor(uniqueUser())
    const used = async () => {
      const usage = (await (await call('GET', '/v1/usage', { token })).json()) as Record<string, { used?: number }>
      return Object.fromEntries(Object.entries(usage).flatMap(([name, limit]) => (typeof limit === 'object' && limit && 'used' in limit ? [[name, limit.used]] : [])))
    }
    const before = await used()
    const res = await call('POST', '/v1/tts', { token, json: { ...HELLO, speaker: 'nobody' } })
    expect(res.status).toBe(400)
    const error = await errorOf(res)
    expect(error.code).toBe('unknown_speaker')
    expect(error.message).toMatch(/GET \/v1\/speakers/)
    expect(await originRecords(res.headers.get('x-request-id')!)).toEqual([])
    expect(await used()).toEqual(before)
    expect(Object.keys(before).length).toBeGreaterThan(0)
  })

  it('GET /v1/speakers lists the declared speakers and the modes, for any valid token', async () => {
    const token = await tokenFor(uniqueUser(), { scope: 'audio' })
    const res = await call('GET', '/v1/speakers', { token })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ speakers: PRESET_SPEAKERS, modes: ['zero_shot', 'cross_lingual', 'instruct2', 'sft'] })
    expect((await call('GET', '/v1/speakers')).status).toBe(401)
  })

  it('an origin list without speakers offers no sft', async () => {
    const token = await tokenFor(uniqueUser())
    const edge = appWith({ ORIGINS: JSON.stringify([{ url: originUrls()[0] }]) })
    const send = (path: string, init: RequestInit = {}) =>
      edge.fetch(new Request(`https://edge.test${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }))
    expect(await (await send('/v1/speakers')).json()).toEqual({ speakers: [], modes: ['zero_shot', 'cross_lingual', 'instruct2'] })
    const sft = await send('/v1/tts', { method: 'POST', body: JSON.stringify(HELLO) })
    expect(sft.status).toBe(400)
    expect((await errorOf(sft)).code).toBe('unknown_speaker')
    await edge.settled()
  })
})

describe('the README examples, with the markers each model needs', () => {
  const PROMPT_TEXT = 'Hello, this is my voice.'

  const voiceFor = async (token: string): Promise<string> => (await createVoice(token, { promptText: PROMPT_TEXT })).voice_id

  it('on a CosyVoice3 origin, sft, zero_shot, cross_lingual and instruct2 all give audio', async () => {
    const token = await tokenFor(uniqueUser(), { role: 'premium' })
    const voice = await voiceFor(token)
    const examples: [Record<string, string>, string, Record<string, string>][] = [
      [{ text: '你好，世界。Hello there.', mode: 'sft', speaker: '中文女' }, '/inference_sft', { tts_text: `${V3_PROMPT}你好，世界。Hello there.`, spk_id: '中文女' }],
      [
        { text: 'Good morning, this is my own voice.', mode: 'zero_shot', voice_id: voice },
        '/inference_zero_shot',
        { tts_text: 'Good morning, this is my own voice.', prompt_text: `${V3_PROMPT}${PROMPT_TEXT}` },
      ],
      [{ text: '今天天气很好。', mode: 'cross_lingual', voice_id: voice }, '/inference_cross_lingual', { tts_text: `${V3_PROMPT}今天天气很好。` }],
      [
        { text: '今天天气很好。', mode: 'instruct2', voice_id: voice, instruct: '请用广东话表达。' },
        '/inference_instruct2',
        { tts_text: '今天天气很好。', instruct_text: 'You are a helpful assistant. 请用广东话表达。<|endofprompt|>' },
      ],
    ]
    for (const [json, path, fields] of examples) {
      const res = await call('POST', '/v1/tts', { token, json })
      expect(res.status, json.mode).toBe(200)
      const pcm = new Uint8Array(await res.arrayBuffer()).subarray(44)
      expect(pcm.length, json.mode).toBeGreaterThan(24000) // over half a second
      expect(rms(pcm), json.mode).toBeGreaterThan(300)
      const [record] = await originRecords(res.headers.get('x-request-id')!)
      expect(record, json.mode).toMatchObject({ path, fields, outcome: 'audio' })
    }
  })

  it('a marker the client typed is kept, never doubled', async () => {
    const token = await tokenFor(uniqueUser(), { role: 'premium' })
    const voice = await voiceFor(token)
    const typed: [Record<string, string>, Record<string, string>][] = [
      [{ text: `${V3_PROMPT}Hello there.`, mode: 'sft', speaker: '英文女' }, { tts_text: `${V3_PROMPT}Hello there.` }],
      [{ text: 'Speak softly.<|endofprompt|>Good night.', mode: 'cross_lingual', voice_id: voice }, { tts_text: 'Speak softly.<|endofprompt|>Good night.' }],
      [
        { text: 'Good night.', mode: 'instruct2', voice_id: voice, instruct: 'You are a helpful assistant. Whisper.<|endofprompt|>' },
        { instruct_text: 'You are a helpful assistant. Whisper.<|endofprompt|>' },
      ],
    ]
    for (const [json, fields] of typed) {
      const res = await call('POST', '/v1/tts', { token, json })
      expect(res.status, json.mode).toBe(200)
      await res.arrayBuffer()
      const [record] = await originRecords(res.headers.get('x-request-id')!)
      expect(record!.fields, json.mode).toMatchObject(fields)
    }
  })

  it('on a CosyVoice2 origin, instruct2 carries the marker at the end of the instruction and zero_shot none', async () => {
    const v2 = inject('poolOrigins').v2
    const token = await tokenFor(uniqueUser(), { role: 'premium' })
    const voice = await voiceFor(token)
    const edge = appWith({ ORIGINS: JSON.stringify([{ url: v2, model: 'cosyvoice2', name: 'v2-readme' }]) })
    const tts = (json: unknown) =>
      edge.fetch(
        new Request('https://edge.test/v1/tts', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(json) }),
      )
    const instruct = await tts({ text: '今天天气很好。', mode: 'instruct2', voice_id: voice, instruct: '用四川话说这句话' })
    expect(instruct.status).toBe(200)
    expect((await instruct.arrayBuffer()).byteLength).toBeGreaterThan(44)
    const [record] = await originRecords(instruct.headers.get('x-request-id')!, v2)
    expect(record).toMatchObject({ fields: { tts_text: '今天天气很好。', instruct_text: '用四川话说这句话<|endofprompt|>' }, outcome: 'audio' })
    const zeroShot = await tts({ text: 'Good morning.', mode: 'zero_shot', voice_id: voice })
    expect(zeroShot.status).toBe(200)
    await zeroShot.arrayBuffer()
    const [zeroShotRecord] = await originRecords(zeroShot.headers.get('x-request-id')!, v2)
    expect(zeroShotRecord!.fields).toMatchObject({ tts_text: 'Good morning.', prompt_text: PROMPT_TEXT })
    await edge.settled()
  })
})

describe('users are isolated', () => {
  it('Bob gets 404 for Alice’s audio on every route, exactly like a missing id', async () => {
    const alice = await tokenFor(uniqueUser('alice'))
    const bob = await tokenFor(uniqueUser('bob'))
    const res = await call('POST', '/v1/tts', { token: alice, json: HELLO })
    await res.arrayBuffer()
    const id = res.headers.get('x-audio-id')!
    for (const [method, path] of [
      ['GET', `/v1/audio/${id}`],
      ['GET', `/v1/audio/${id}/content`],
      ['DELETE', `/v1/audio/${id}`],
    ] as const) {
      const theirs = await call(method, path, { token: bob })
      const missing = await call(method, path.replace(id, '0000000000000000000000000000aaaa'), { token: bob })
      expect(theirs.status).toBe(404)
      expect(missing.status).toBe(404)
      expect((await errorOf(theirs)).message).toBe((await errorOf(missing)).message)
    }
    expect(((await (await call('GET', '/v1/audio', { token: bob })).json()) as { items: unknown[] }).items).toEqual([])
    expect((await call('GET', `/v1/audio/${id}`, { token: alice })).status).toBe(200)
  })

  it('a hostile sub cannot escape its prefix or land in another user’s', async () => {
    const victim = uniqueUser('victim')
    const victimPrefix = await userPrefix(victim)
    const hostile = [`../${victim}`, `${victim}/..`, `${victim}/`, `${victim}\u0000`, '../../', 'ユーザー/../../x', 'a'.repeat(300), `users/${victim}`]
    const prefixes = new Set<string>()
    for (const sub of hostile) {
      const prefix = await userPrefix(sub)
      expect(prefix).toMatch(/^users\/[A-Za-z0-9_-]{43}\/$/)
      expect(prefix).not.toBe(victimPrefix)
      prefixes.add(prefix)
    }
    expect(prefixes.size).toBe(hostile.length)
  })

  it('ids that are not ours are refused without touching storage', async () => {
    const token = await tokenFor(uniqueUser())
    for (const id of ['..%2F..%2Fsecret', '%2e%2e', 'x'.repeat(32)]) {
      expect((await call('GET', `/v1/audio/${id}`, { token })).status).toBe(404)
    }
  })
})

describe('own audio', () => {
  it('lists newest first with cursor pagination, and deletes', async () => {
    const token = await tokenFor(uniqueUser())
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const res = await call('POST', '/v1/tts', { token, json: HELLO })
      await res.arrayBuffer()
      ids.push(res.headers.get('x-audio-id')!)
    }
    const page1 = (await (await call('GET', '/v1/audio?limit=2', { token })).json()) as { items: { audio_id: string; mode: string }[]; cursor: string | null }
    expect(page1.items.map((i) => i.audio_id)).toEqual([ids[2], ids[1]])
    expect(page1.items[0]).toMatchObject({ mode: 'sft', speaker: '中文女', characters: 18, sample_rate: 24000 })
    expect(page1.cursor).toBeTruthy()
    const page2 = (await (await call('GET', `/v1/audio?limit=2&cursor=${encodeURIComponent(page1.cursor!)}`, { token })).json()) as {
      items: { audio_id: string }[]
      cursor: string | null
    }
    expect(page2.items.map((i) => i.audio_id)).toEqual([ids[0]])
    expect(page2.cursor).toBeNull()

    expect((await call('DELETE', `/v1/audio/${ids[0]}`, { token })).status).toBe(204)
    expect((await call('GET', `/v1/audio/${ids[0]}`, { token })).status).toBe(404)
    expect((await call('GET', '/v1/audio?limit=0', { token })).status).toBe(400)
  })

  it('serves ranges and conditional requests', async () => {
    const token = await tokenFor(uniqueUser())
    const res = await call('POST', '/v1/tts', { token, json: HELLO })
    const full = new Uint8Array(await res.arrayBuffer())
    const path = `/v1/audio/${res.headers.get('x-audio-id')}/content`
    const part = await call('GET', path, { token, headers: { range: 'bytes=0-99' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${full.length}`)
    expect(new Uint8Array(await part.arrayBuffer()).length).toBe(100)
    const etag = part.headers.get('etag')!
    expect((await call('GET', path, { token, headers: { 'if-none-match': etag } })).status).toBe(304)
    const bad = await call('GET', path, { token, headers: { range: `bytes=${full.length + 10}-` } })
    expect(bad.status).toBe(416)
    expect(bad.headers.get('content-range')).toBe(`bytes */${full.length}`)
    expect(bad.headers.get('content-type')).toMatch(/application\/json/)
    expect(bad.headers.get('content-disposition')).toBeNull()
  })
})
