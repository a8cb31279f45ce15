import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import { PRESET_SPEAKERS } from '../dev/origin.mjs'
import app from '../src/index'
import { userKey } from '../src/auth/user-key'
import { parseTiers, tierFor } from '../src/config/tiers'
import { call, errorOf } from './support/api'
import { appWith } from './support/app'
import { makeWav } from './support/make-audio'
import { synthesizeStored } from './support/stored-audio'
import { tokenFor, uniqueIp, uniqueUser } from './support/tokens'
import { createVoice } from './support/voices'

const SHORT = { text: 'Hi.', mode: 'sft', speaker: '英文女' }
/** Streams for a second or so: a synthesis that is still running while the test floods. */
const SLOW = 'One. Two. Three. [[dev:gap=400]]'
const queueOrigin = inject('queueOrigin')

afterEach(() => {
  vi.restoreAllMocks()
})

/**
 * The app over the real bindings, with both Durable Object namespaces wrapped to record every call
 * that reaches an object (`users.admit`, `pool.acquireNow`, …) and the options each stub was got with.
 * `answers` replaces a call's answer with a made-up one; `dropAnswers` names calls that are made but
 * whose answer never arrives, as in a request workerd cancelled when its client left
 * (synthesis/client-gone.ts).
 */
function countingEdge(settings: Record<string, string> = {}, options: { dropAnswers?: string[]; answers?: Record<string, unknown> } = {}) {
  const calls: string[] = []
  const getOptionsSeen: unknown[] = []
  const dropAnswers = options.dropAnswers ?? []
  const wrap = <T extends object>(namespace: T, name: string): T =>
    new Proxy(namespace, {
      get(target, prop) {
        if (prop === 'get')
          return (id: DurableObjectId, getOptions?: unknown) => {
            if (name === 'pool') getOptionsSeen.push(getOptions)
            return stubRecording(
              (target as unknown as DurableObjectNamespace).get(id, getOptions as DurableObjectNamespaceGetDurableObjectOptions),
              name,
              calls,
              dropAnswers,
              options.answers,
            )
          }
        const value = Reflect.get(target, prop)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  const edgeEnv = { ...env, ...settings, USERS: wrap(env.USERS, 'users'), ORIGIN_POOL: wrap(env.ORIGIN_POOL, 'pool') }
  const send = async (token: string, text = SHORT.text, fields: Record<string, string | undefined> = {}, signal?: AbortSignal) => {
    const ctx = createExecutionContext()
    const res = await app.fetch(
      new Request('https://edge.test/v1/tts', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...SHORT, text, ...fields }),
        signal,
      }),
      edgeEnv,
      ctx,
    )
    return Object.assign(res, { done: () => waitOnExecutionContext(ctx) })
  }
  return { send, calls, getOptions: getOptionsSeen, reset: () => calls.splice(0) }
}

function stubRecording<T extends object>(stub: T, name: string, calls: string[], dropAnswers: string[] = [], answers: Record<string, unknown> = {}): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop)
      if (typeof prop !== 'string' || prop === 'then' || typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.push(`${name}.${prop}`)
        if (Object.hasOwn(answers, `${name}.${prop}`)) return Promise.resolve(answers[`${name}.${prop}`])
        const answer = (target as Record<string, (...a: unknown[]) => unknown>)[prop]!(...args)
        if (!dropAnswers.includes(`${name}.${prop}`)) return answer
        void Promise.resolve(answer).catch(() => {})
        return new Promise(() => {})
      }
    },
  })
}

/** The Durable Object of an edge-issued user's `sub`, asked directly. */
const userObjectOf = async (sub: string) => env.USERS.get(env.USERS.idFromName(await userKey('cosyvoice-edge', sub)))
const free = tierFor(parseTiers(env.TIERS), 'free').tier

async function drain(res: Response & { done: () => Promise<void> }) {
  if (res.status === 200) await res.arrayBuffer()
  await res.done()
}

describe('Server-Timing', () => {
  it('names the stages before the first byte in the header, and the ones after it in the log line', async () => {
    const log = vi.spyOn(console, 'log')
    const edge = countingEdge()
    const res = await edge.send(await tokenFor(uniqueUser()))
    expect(res.status).toBe(200)
    const header = res.headers.get('server-timing')!
    expect(header).toMatch(/^auth;dur=\d+, admission;dur=\d+, pool;dur=\d+, origin;dur=\d+;desc="first byte"$/)
    await drain(res)
    const end = log.mock.calls.map(([line]) => String(line)).find((line) => line.includes('"synthesis_end"') && line.includes(res.headers.get('x-request-id')!))
    expect(JSON.parse(end!)).toMatchObject({
      ok: true,
      timing_ms: {
        auth: expect.any(Number),
        admission: expect.any(Number),
        pool: expect.any(Number),
        origin: expect.any(Number),
        r2: expect.any(Number),
        settle: expect.any(Number),
        release: expect.any(Number),
      },
    })
  })

  it('shows on refusals too: a 429 from the user object has its admission timed; one answered by the isolate has none', async () => {
    const edge = countingEdge()
    const token = await tokenFor(uniqueUser(), { role: 'daily3' })
    for (let i = 0; i < 3; i++) await drain(await edge.send(token))
    const fromObject = await edge.send(token)
    expect(fromObject.status).toBe(429)
    expect(fromObject.headers.get('server-timing')).toMatch(/admission;dur=\d+, pool;dur=\d+/)
    const fromIsolate = await edge.send(token)
    expect(fromIsolate.status).toBe(429)
    expect(fromIsolate.headers.get('server-timing')).toMatch(/^auth;dur=\d+$/)
  })
})

describe('admission and the GPU slot asked in parallel', () => {
  it('asks both objects at once, with no queue place while the admission is undecided, and frees the GPU before R2 has the recording', async () => {
    const edge = countingEdge()
    await drain(await edge.send(await tokenFor(uniqueUser())))
    // The user's object is settled only once the recording is committed; the GPU, as soon as the origin is done.
    expect(edge.calls.filter((c) => c !== 'users.recordAudit')).toEqual(['users.admit', 'pool.acquireNow', 'pool.release', 'users.settle'])
  })

  it('a user refused by their object gives back the free slot it was granted, and one the isolate refuses reaches neither object', async () => {
    const edge = countingEdge()
    const token = await tokenFor(uniqueUser(), { role: 'daily3' })
    for (let i = 0; i < 3; i++) await drain(await edge.send(token))
    edge.reset()
    const refused = await edge.send(token)
    await refused.done()
    expect(refused.status).toBe(429)
    expect((await errorOf(refused)).code).toBe('daily_quota')
    expect(edge.calls.sort()).toEqual(['pool.acquireNow', 'pool.release', 'users.admit'])
    edge.reset()
    const again = await edge.send(token)
    await again.done()
    expect(again.status).toBe(429)
    expect(edge.calls).toEqual([])
  })

  it('while every GPU is busy, a request its user object refuses never joins the queue; an admitted one waits in it', async () => {
    const ORIGINS = JSON.stringify([{ url: queueOrigin, name: `path-${crypto.randomUUID().slice(0, 8)}`, speakers: PRESET_SPEAKERS }])
    const edge = countingEdge({ ORIGINS })
    const spent = await tokenFor(uniqueUser(), { role: 'daily3' })
    const other = countingEdge()
    for (let i = 0; i < 3; i++) await drain(await other.send(spent))

    // Busy for seconds (the origin takes that long, read or not): the requests below come first.
    const busy = await edge.send(await tokenFor(uniqueUser('heavy'), { role: 'admin' }), 'One. Two. Three. [[dev:gap=1000]][[dev:repeat=3]]')
    expect(busy.status).toBe(200)
    edge.reset()
    const refused = await edge.send(spent)
    expect(refused.status).toBe(429)
    await refused.done()
    expect(edge.calls.sort()).toEqual(['pool.acquireNow', 'users.admit'])

    edge.reset()
    const waiting = edge.send(await tokenFor(uniqueUser()))
    await drain(busy)
    const served = await waiting
    expect(served.status).toBe(200)
    await drain(served)
    // Its free-slot question, then its place in the queue, the busy synthesis' release, its own.
    expect(edge.calls.filter((c) => c.startsWith('pool.'))).toEqual(['pool.acquireNow', 'pool.acquire', 'pool.release', 'pool.release'])
  })
})

describe('floods answered by the isolate, admission still exact', () => {
  it('a free user flooding while their synthesis runs is refused without a Durable Object call, and admitted the moment it ends', async () => {
    const edge = countingEdge()
    const token = await tokenFor(uniqueUser())
    const running = await edge.send(token, SLOW)
    expect(running.status).toBe(200)
    edge.reset()
    const flood = await Promise.all(Array.from({ length: 50 }, () => edge.send(token)))
    for (const r of flood) {
      expect(r.status).toBe(429)
      expect((await errorOf(r)).code).toBe('concurrency')
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect(r.headers.get('ratelimit')).toMatch(/^"minute";r=9;/)
    }
    expect(edge.calls).toEqual([])
    await drain(running)
    const next = await edge.send(token)
    expect(next.status).toBe(200)
    await drain(next)
  })

  it('N requests at once against a concurrency of 4 admit exactly 4, asking the object only 4 times', async () => {
    const edge = countingEdge()
    const token = await tokenFor(uniqueUser(), { role: 'premium' })
    const results = await Promise.all(Array.from({ length: 12 }, () => edge.send(token, SLOW)))
    expect(results.filter((r) => r.status === 200)).toHaveLength(4)
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(8)
    for (const r of refused) expect((await errorOf(r)).code).toBe('concurrency')
    expect(edge.calls.filter((c) => c === 'users.admit')).toHaveLength(4)
    await Promise.all(results.map(drain))
  })

  it('a concurrency refusal for a synthesis held elsewhere is kept for at most a second', async () => {
    // Another isolate's synthesis: a lease this isolate did not take and cannot see end.
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    const object = await userObjectOf(sub)
    const elsewhere = await object.admit(free, 'elsewhere')
    if (!elsewhere.ok || 'revoked' in elsewhere) throw new Error('the lease from elsewhere was refused')

    const edge = countingEdge()
    const first = await edge.send(token)
    expect((await errorOf(first)).code).toBe('concurrency')
    expect(edge.calls).toEqual(['users.admit', 'pool.acquireNow', 'pool.release'])
    edge.reset()
    await object.settle(elsewhere.reservation, { ok: false }, free)
    // The slot is free, but this isolate cannot know: the refusal it keeps still answers (the cost).
    const stale = await edge.send(token)
    expect(stale.status).toBe(429)
    expect(edge.calls).toEqual([])
    await new Promise((r) => setTimeout(r, 1100))
    const admitted = await edge.send(token)
    expect(admitted.status).toBe(200)
    await drain(admitted)
  })
})

describe('a client that leaves while its admission is on its way', () => {
  it("ends the user's lease uncharged, and this isolate does not wait for the answer it will never read", async () => {
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    const leaving = countingEdge({}, { dropAnswers: ['users.admit'] })
    const client = new AbortController()
    void leaving.send(token, SHORT.text, {}, client.signal).catch(() => {})
    await expect.poll(() => leaving.calls.includes('users.admit')).toBe(true)
    // Free users run one synthesis at a time: one sent now waits here for that answer.
    const next = countingEdge()
    const waiting = next.send(token)
    await new Promise((r) => setTimeout(r, 100))
    expect(next.calls).toEqual([])
    client.abort()
    await expect.poll(() => leaving.calls.includes('users.abandon')).toBe(true)
    const object = await userObjectOf(sub)
    // Had this isolate kept waiting on the answer nobody will read, the waiting one never would go on.
    const res = await Promise.race([waiting, new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 5000))])
    if (res === 'stuck') throw new Error('the next synthesis waited on the abandoned admission')
    expect(res.status).toBe(200)
    await drain(res)
    // The one that left holds nothing and was charged nothing: only the other synthesis counts.
    expect(await object.usage(free)).toMatchObject({ concurrency: { used: 0 }, day: { used: 1 } })
  })

  it('…or while it waits in the pool queue: its place is given up and its admission ends uncharged', async () => {
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    // Every GPU busy (no slot at once), and the queue's answer never read, as in a cancelled request.
    const leaving = countingEdge({}, { answers: { 'pool.acquireNow': { ok: false, code: 'would_wait', retryAfter: 0 } }, dropAnswers: ['pool.acquire'] })
    const client = new AbortController()
    void leaving.send(token, SHORT.text, {}, client.signal).catch(() => {})
    await expect.poll(() => leaving.calls.includes('pool.acquire')).toBe(true)
    const object = await userObjectOf(sub)
    expect((await object.usage(free)).concurrency.used).toBe(1)
    client.abort()
    await expect.poll(() => leaving.calls.includes('pool.cancel')).toBe(true)
    await expect.poll(async () => (await object.usage(free)).concurrency.used).toBe(0)
    expect((await object.usage(free)).day.used).toBe(0)
  })

  it('an abandon that reaches the object before its admit: the admit is refused, nothing is held', async () => {
    const sub = uniqueUser()
    const object = await userObjectOf(sub)
    await object.abandon('late-admit')
    expect(await object.admit(free, 'late-admit')).toEqual({ ok: false, abandoned: true })
    expect((await object.usage(free)).concurrency.used).toBe(0)
    const other = await object.admit(free, 'another-request')
    expect(other.ok).toBe(true)
  })
})

describe('ORIGIN_POOL_LOCATION', () => {
  it('places the pool object with its location hint', async () => {
    const hinted = countingEdge({ ORIGIN_POOL_LOCATION: 'enam' })
    await drain(await hinted.send(await tokenFor(uniqueUser())))
    expect(hinted.getOptions).toContainEqual({ locationHint: 'enam' })
    const unhinted = countingEdge()
    await drain(await unhinted.send(await tokenFor(uniqueUser())))
    expect(unhinted.getOptions.every((o) => o === undefined)).toBe(true)
  })
})

/** A voice of the token's user (a 2 s, 16 kHz tone) and the file uploaded. */
async function ownVoice(token: string): Promise<{ voice_id: string; wav: Uint8Array }> {
  const wav = makeWav({ sampleRate: 16000, seconds: 2, frequency: 300 })
  return { ...(await createVoice(token, { wav })), wav }
}

describe('synthesis with a voice', () => {
  it("asks the voice owner's object once (takedown state and transcript together)", async () => {
    const token = await tokenFor(uniqueUser())
    const { voice_id } = await ownVoice(token)
    const edge = countingEdge()
    const res = await edge.send(token, 'Hi there.', { mode: 'zero_shot', voice_id, speaker: undefined })
    expect(res.status).toBe(200)
    await drain(res)
    expect(edge.calls.filter((c) => c.startsWith('users.')).sort()).toEqual(['users.admit', 'users.recordAudit', 'users.settle', 'users.voiceForSynthesis'])
  })
})

describe('share downloads: what the ledger knows, R2 is not asked again', () => {
  /** The app with AUDIO wrapped to record each R2 call (`r2.head`, `r2.get`, …). */
  function r2CountingEdge() {
    const calls: string[] = []
    const ip = uniqueIp()
    const edge = appWith({ AUDIO: stubRecording(env.AUDIO, 'r2', calls) })
    const get = async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
      const res = await edge.fetch(new Request(`https://edge.test${path}`, { method, headers: { 'cf-connecting-ip': ip, ...headers } }))
      const bytes = new Uint8Array(await res.arrayBuffer())
      await edge.settled()
      return { res, bytes }
    }
    return { calls, get, reset: () => calls.splice(0) }
  }

  async function sharedAudio() {
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    const { id, bytes } = await synthesizeStored(token, SHORT)
    const res = await call('POST', `/v1/audio/${id}/shares`, { token, json: { ttl_seconds: 600 } })
    expect(res.status).toBe(201)
    const { share_id } = (await res.json()) as { share_id: string }
    return { shareId: share_id, stored: bytes }
  }

  it('a range is one R2 get (no head), a 304 and a 416 none at all, and the bytes are the stored ones', async () => {
    const { shareId, stored } = await sharedAudio()
    const edge = r2CountingEdge()
    const piece = await edge.get(`/s/${shareId}/audio`, { range: 'bytes=10-109' })
    expect(piece.res.status).toBe(206)
    expect(piece.res.headers.get('content-range')).toBe(`bytes 10-109/${stored.byteLength}`)
    expect(piece.bytes).toEqual(stored.subarray(10, 110))
    expect(edge.calls).toEqual(['r2.get'])
    const etag = piece.res.headers.get('etag')!
    expect(piece.res.headers.get('content-type')).toBe('audio/wav')

    edge.reset()
    const fresh = await edge.get(`/s/${shareId}/audio`, { 'if-none-match': etag })
    expect(fresh.res.status).toBe(304)
    expect(fresh.res.headers.get('etag')).toBe(etag)
    expect(edge.calls).toEqual([])

    edge.reset()
    const outside = await edge.get(`/s/${shareId}/audio`, { range: `bytes=${stored.byteLength}-` })
    expect(outside.res.status).toBe(416)
    expect(outside.res.headers.get('content-range')).toBe(`bytes */${stored.byteLength}`)
    expect(edge.calls).toEqual([])

    edge.reset()
    const whole = await edge.get(`/s/${shareId}/audio`)
    expect(whole.res.status).toBe(200)
    expect(whole.bytes).toEqual(stored)
    expect(edge.calls).toEqual(['r2.get'])

    // A HEAD fetches no body, ranged or not: its answer is the object's description.
    const asked: Record<string, string>[] = [{}, { range: 'bytes=10-109' }]
    for (const headers of asked) {
      edge.reset()
      const head = await edge.get(`/s/${shareId}/audio`, headers, 'HEAD')
      expect(head.res.status).toBe('range' in headers ? 206 : 200)
      expect(head.res.headers.get('content-length')).toBe('range' in headers ? '100' : String(stored.byteLength))
      expect(head.res.headers.get('content-type')).toBe('audio/wav')
      expect(head.bytes).toHaveLength(0)
      expect(edge.calls).toEqual(['r2.head'])
    }
  })

  it("a voice's own download: a range is the route's head and one get, not a second head", async () => {
    const token = await tokenFor(uniqueUser())
    const { voice_id, wav } = await ownVoice(token)
    const edge = r2CountingEdge()
    const piece = await edge.get(`/v1/voices/${voice_id}/content`, { authorization: `Bearer ${token}`, range: 'bytes=0-43' })
    expect(piece.res.status).toBe(206)
    expect(piece.bytes).toEqual(wav.subarray(0, 44))
    expect(edge.calls).toEqual(['r2.head', 'r2.get'])
  })
})
