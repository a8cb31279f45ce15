import { runDurableObjectAlarm } from 'cloudflare:test'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { PRESET_SPEAKERS } from '../dev/origin.mjs'
import { parseOrigins } from '../src/config/origins'
import { edgeProofHeaders } from '../src/origin/edge-proof'
import { poolStub } from '../src/pool/pool-client'
import type { PoolStatus } from '../src/pool/pool-types'
import { call, errorOf } from './support/api'
import { appWith } from './support/app'
import { makeWav } from './support/make-audio'
import { originRecords } from './support/origin'
import { TEST_SECRETS } from './support/test-secrets'
import { tokenFor, uniqueUser } from './support/tokens'
import { createVoice } from './support/voices'

const origins = inject('poolOrigins')
const SHORT = 'Hi there.'
const V3_PROMPT = 'You are a helpful assistant.<|endofprompt|>'

type OriginEntry = { url: string; concurrency?: number; weight?: number; speakers?: string[]; canary?: Record<string, string> }

/** Every test's edges: their waitUntil work (freeing slots, settling quota) is awaited after the test. */
const edges: ReturnType<typeof appWith>[] = []
afterEach(async () => {
  await Promise.all(edges.splice(0).map((edge) => edge.settled()))
})

/**
 * The app over the real bindings with its own ORIGINS (and pool settings): every edge gets a pool
 * object of its own, because the pool is named by a hash of ORIGINS and each edge's origins carry
 * a unique `name`. Origins declare the dev origin's preset speakers unless an entry says otherwise.
 */
function edgeWith(entries: OriginEntry[], settings: Record<string, string> = {}) {
  const label = crypto.randomUUID().slice(0, 8)
  const ORIGINS = JSON.stringify(entries.map((e, i) => ({ speakers: PRESET_SPEAKERS, ...e, name: `test-${label}-${i}` })))
  const app = appWith({ ...settings, ORIGINS })
  edges.push(app)
  const edgeEnv = app.env
  const send = (path: string, init: RequestInit) => app.fetch(new Request(`https://edge.test${path}`, init))
  const post = (token: string, body: unknown, signal?: AbortSignal) =>
    send('/v1/tts', { method: 'POST', signal, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return {
    tts: async (token: string, text = SHORT, signal?: AbortSignal, speaker = '英文女') => post(token, { text, mode: 'sft', speaker }, signal),
    synth: post,
    status: async (): Promise<PoolStatus> => {
      const res = await send('/admin/origins', { headers: { authorization: `Bearer ${await tokenFor(uniqueUser('ops'), { role: 'admin' })}` } })
      expect(res.status).toBe(200)
      return res.json()
    },
    adminAs: async (role: string) => send('/admin/origins', { headers: { authorization: `Bearer ${await tokenFor(uniqueUser(), { role })}` } }),
    stub: () => poolStub(edgeEnv, parseOrigins(ORIGINS)),
  }
}

/**
 * Runs the pool's alarm now, as if its time had come, until `done`: the alarm sends canaries and
 * probes origins that are out. An alarm set for "now" (a canary) may also fire by itself meanwhile.
 */
async function runAlarmsUntil(edge: ReturnType<typeof edgeWith>, done: (s: PoolStatus) => boolean): Promise<PoolStatus> {
  const stub = await edge.stub()
  let status = await edge.status()
  await expect
    .poll(
      async () => {
        if (done(status)) return true
        await runDurableObjectAlarm(stub)
        status = await edge.status()
        return done(status)
      },
      { interval: 25, timeout: 10_000, message: 'the pool never reached the state this test waits for (its alarms were run meanwhile)' },
    )
    .toBe(true)
  return status
}

/** Every suspicion settled and no canary under way. */
const settled = (s: PoolStatus) => s.origins.every((o) => o.suspicions.pending === 0 && o.canary.state === 'idle')

/** Heavy users: the admin tier has no per-user limits, so only the pool decides who waits. */
const heavyUser = () => tokenFor(uniqueUser('heavy'), { role: 'admin' })

async function devStats(url: string): Promise<{ inFlight: number; maxInFlight: number; violations: number; total: number }> {
  return (await fetch(`${url}/__dev/stats`)).json()
}

/** Polls for something that happens in another request or in waitUntil; returns what it saw last. */
async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  let value!: T
  await expect
    .poll(
      async () => {
        value = await probe()
        return ok(value)
      },
      { interval: 25, timeout: 5000 },
    )
    .toBe(true)
  return value
}

describe('admission: an origin never runs more than its concurrency', () => {
  it('two origins of concurrency 1, 20 parallel requests from 4 users: never 2 at once, each finishes or gets 503 with Retry-After', async () => {
    const edge = edgeWith([{ url: origins.single1 }, { url: origins.single2 }])
    const before = await Promise.all([devStats(origins.single1), devStats(origins.single2)])
    const users = await Promise.all([heavyUser(), heavyUser(), heavyUser(), heavyUser()])

    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await edge.tts(users[i % 4]!, `Request ${i}. [[dev:delay=40]]`)
        if (res.status === 200) return { status: 200, bytes: (await res.arrayBuffer()).byteLength }
        return { status: res.status, code: (await errorOf(res)).code, retryAfter: res.headers.get('retry-after') }
      }),
    )

    for (const r of results) {
      if (r.status === 200) expect(r.bytes).toBeGreaterThan(44)
      else expect(r).toMatchObject({ status: 503, code: 'origins_busy', retryAfter: expect.stringMatching(/^[1-9]\d*$/) })
    }
    const served = results.filter((r) => r.status === 200).length
    expect(served).toBeGreaterThanOrEqual(2)
    const after = await Promise.all([devStats(origins.single1), devStats(origins.single2)])
    expect(after[0]!.violations).toBe(before[0]!.violations)
    expect(after[1]!.violations).toBe(before[1]!.violations)
    expect(after[0]!.total - before[0]!.total + (after[1]!.total - before[1]!.total)).toBe(served)

    const status = await edge.status()
    expect(status.origins.map((o) => o.in_flight)).toEqual([0, 0])
    expect(status.origins.reduce((n, o) => n + o.succeeded, 0)).toBe(served)
    expect(status.queue.waiting).toBe(0)
    for (const o of status.origins) expect(o.ttfb_ms.p50).toBeGreaterThanOrEqual(0)
  })

  it('bounds the queue per user: beyond it, 503 origins_busy with Retry-After', async () => {
    const edge = edgeWith([{ url: origins.single1 }], { ORIGIN_QUEUE_PER_USER: '1' })
    const token = await heavyUser()
    const results = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const res = await edge.tts(token, `Queue ${i}. [[dev:delay=300]]`)
        const retryAfter = res.headers.get('retry-after')
        return { status: res.status, code: res.status === 200 ? await res.arrayBuffer().then(() => 'ok') : (await errorOf(res)).code, retryAfter }
      }),
    )
    // One running, one waiting, the third over the bound.
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 503])
    const refused = results.find((r) => r.status === 503)!
    expect(refused.code).toBe('origins_busy')
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1)
  })

  it('bounds the whole queue too: past ORIGIN_QUEUE_MAX, other users get 503 origins_busy', async () => {
    const edge = edgeWith([{ url: origins.single1 }], { ORIGIN_QUEUE_MAX: '1' })
    const users = await Promise.all([heavyUser(), heavyUser(), heavyUser()])
    const results = await Promise.all(
      users.map(async (token, i) => {
        const res = await edge.tts(token, `Queue ${i}. [[dev:delay=300]]`)
        return { status: res.status, code: res.status === 200 ? await res.arrayBuffer().then(() => 'ok') : (await errorOf(res)).code, retryAfter: res.headers.get('retry-after') }
      }),
    )
    // One running, one waiting, the third user over the pool's bound.
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 503])
    const refused = results.find((r) => r.status === 503)!
    expect(refused.code).toBe('origins_busy')
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1)
  })

  it('is fair across users: A queues 10, then B sends 1, and B is served before A’s fourth', async () => {
    const edge = edgeWith([{ url: origins.single1 }], { ORIGIN_QUEUE_PER_USER: '20' })
    const [a, b] = await Promise.all([heavyUser(), heavyUser()])
    const read = async (res: Response) => {
      expect(res.status).toBe(200)
      await res.arrayBuffer()
      return res.headers.get('x-request-id')!
    }
    const fromA = Array.from({ length: 10 }, (_, i) => edge.tts(a, `A ${i}. [[dev:delay=250]]`).then(read))
    await until(
      () => edge.status(),
      (s) => s.queue.waiting === 9,
    )
    const fromB = edge.tts(b, 'B. [[dev:delay=100]]').then(read)
    const idsA = await Promise.all(fromA)
    const idB = await fromB

    // The dev origin records calls in the order it received them.
    const order = ((await originRecords('', origins.single1)) as { headers: Record<string, string> }[])
      .map((r) => r.headers['x-request-id'])
      .filter((id) => id === idB || idsA.includes(id!))
    expect(order).toHaveLength(11)
    const fourthOfA = order.filter((id) => id !== idB)[3]
    // Round robin: B is next after the A running when it arrived (A's second, if A's first ended
    // while B was still on its way to the pool); first-come would put B last.
    expect(order.indexOf(idB)).toBeLessThan(order.indexOf(fourthOfA))
  })

  it('a client aborting mid-stream frees the slot: the next queued request starts at once', async () => {
    const edge = edgeWith([{ url: origins.single1 }], { ORIGIN_QUEUE_TIMEOUT_MS: '20000' })
    const [a, b] = await Promise.all([heavyUser(), heavyUser()])
    const abort = new AbortController()
    // About 150 s of audio in half-second gaps: far longer than the test may run.
    const long = await edge.tts(a, 'One. Two. Three. [[dev:gap=500]][[dev:repeat=100]]', abort.signal)
    expect(long.status).toBe(200)
    const reader = long.body!.getReader()
    expect((await reader.read()).done).toBe(false)

    const next = edge.tts(b)
    await until(
      () => edge.status(),
      (s) => s.queue.waiting === 1,
    )
    abort.abort()
    await reader.cancel().catch(() => {})

    const res = await next
    expect(res.status).toBe(200)
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(44)
    // The partial audio was not kept.
    const list = (await (await call('GET', '/v1/audio', { token: a })).json()) as { items: unknown[] }
    expect(list.items).toEqual([])
    const status = await until(
      () => edge.status(),
      (s) => s.origins[0]!.in_flight === 0,
    )
    expect(status.origins[0]!.in_flight).toBe(0)
  })
})

describe('failover and the circuit breaker: origins are judged by evidence', () => {
  it('skips an origin that refuses connections for another, and counts it against the refusing one', async () => {
    // The heavier weight is tried first on a fresh pool.
    const edge = edgeWith([
      { url: origins.refused, weight: 2 },
      { url: origins.single2, weight: 1 },
    ])
    const res = await edge.tts(await heavyUser())
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const records = await originRecords(res.headers.get('x-request-id')!, origins.single2)
    expect(records).toHaveLength(1)
    const [refused, good] = (await edge.status()).origins
    expect(refused).toMatchObject({ state: 'closed', failed: 1, consecutive_failures: 1, in_flight: 0 })
    expect(refused!.recent_errors[0]!.code).toBe('origin_unavailable')
    expect(refused!.suspicions.pending + refused!.suspicions.cleared + refused!.suspicions.confirmed).toBe(0)
    expect(good).toMatchObject({ succeeded: 1, failed: 0 })
  })

  it('an unreachable origin is out after ORIGIN_BREAKER_FAILURES, probed with its canary, and stays out while it fails', async () => {
    const edge = edgeWith([{ url: origins.refused }], { ORIGIN_BREAKER_FAILURES: '2', ORIGIN_BREAKER_COOLDOWN_MS: '600000' })
    for (const token of await Promise.all([heavyUser(), heavyUser()])) {
      const res = await edge.tts(token)
      expect(res.status).toBe(502)
      expect((await errorOf(res)).code).toBe('origin_unavailable')
    }
    const out = await edge.tts(await heavyUser())
    expect(out.status).toBe(503)
    expect((await errorOf(out)).code).toBe('origins_unavailable')
    expect(Number(out.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    let [origin] = (await edge.status()).origins
    expect(origin).toMatchObject({ state: 'open', out_because: expect.stringMatching(/^2 failures in a row, the last: origin_unavailable/) })

    // The probe is the pool's alarm; run it now instead of waiting out the cooldown.
    ;[origin] = (await runAlarmsUntil(edge, (s) => s.origins[0]!.canary.failed === 1)).origins
    expect(origin).toMatchObject({ state: 'open', out_because: expect.stringMatching(/^canary failed: .*could not be reached/) })
    expect(origin!.recent_errors[0]!.code).toBe('canary_failed')
  })

  /**
   * The attack of issue 18: requests that fail on any origin (a speaker the model does not have, text
   * it makes nothing of, a voice prompt it rejects), from several free-to-make accounts. Each answer
   * looks exactly like a broken model; the canary tells them apart.
   */
  async function attack(entries: OriginEntry[]) {
    const edge = edgeWith(entries, { ORIGIN_BREAKER_FAILURES: '1', ORIGIN_BREAKER_COOLDOWN_MS: '600000' })
    const before = await Promise.all(entries.map((e) => devStats(e.url)))
    const accounts = await Promise.all(Array.from({ length: 5 }, () => heavyUser()))
    // A voice the edge accepts (a valid 16 kHz WAV) and the model fails on, as real models fail on
    // some prompts no edge can judge from the file: the dev origins are told its hash.
    const rejected = makeWav({ sampleRate: 16000, seconds: 2, frequency: 200 + Math.floor(Math.random() * 1000) })
    const hash = [...new Uint8Array(await crypto.subtle.digest('SHA-256', rejected))].map((b) => b.toString(16).padStart(2, '0')).join('')
    for (const e of entries) expect((await fetch(`${e.url}/__dev/reject-prompt`, { method: 'POST', body: JSON.stringify({ sha256: hash }) })).status).toBe(200)
    const rejectedVoices = await Promise.all(accounts.map(async (token) => (await createVoice(token, { name: 'rejected', wav: rejected })).voice_id))
    const failing = [
      (_: number) => ({ text: 'Hello there.', mode: 'sft', speaker: 'ghost' }), // declared, not on the origin: KeyError after the 200
      // The model yields nothing: a complete, empty 200 (the edge refuses punctuation-only text before
      // the origin, so the dev origin's directive stands in for text the model makes nothing of).
      (_: number) => ({ text: 'Hello there. [[dev:empty]]', mode: 'sft', speaker: '英文女' }),
      (account: number) => ({ text: 'Hello there.', mode: 'zero_shot', voice_id: rejectedVoices[account] }), // the model rejects the prompt
    ]
    const outcomes: string[] = []
    for (let round = 0; round < 12; round++) {
      const results = await Promise.all(
        accounts.map(async (token, account) => {
          const res = await edge.synth(token, failing[(round + account) % failing.length]!(account))
          return `${res.status} ${res.status === 200 ? await res.arrayBuffer().then(() => 'audio') : (await errorOf(res)).code}`
        }),
      )
      outcomes.push(...results)
    }
    expect(outcomes).toHaveLength(60)
    expect(new Set(outcomes)).toEqual(new Set(['502 origin_failed']))
    // Right after, another account's good request is served.
    const good = await edge.tts(await heavyUser())
    expect(good.status).toBe(200)
    expect((await good.arrayBuffer()).byteLength).toBeGreaterThan(44)

    const status = await runAlarmsUntil(edge, settled)
    for (const [i, origin] of status.origins.entries()) {
      expect(origin.state).toBe('closed')
      expect(origin.consecutive_failures).toBe(0)
      // Each suspicion was cleared by the canary, which ran once for the whole attack.
      expect(origin.suspicions).toMatchObject({ pending: 0, confirmed: 0 })
      // Every failing request was tried on each origin (failover), and failed there.
      expect(origin.suspicions.cleared).toBe(60)
      expect(origin.canary).toMatchObject({ state: 'idle', passed: 1, failed: 0, last: { ok: true } })
      for (const suspicion of origin.suspicions.recent) {
        expect(suspicion).toMatchObject({ verdict: 'cleared', reason: expect.stringMatching(/^canary passed at .*: \/inference_sft: \d+ bytes of audio/) })
      }
      // The canary held a slot like any synthesis: the origin never ran two at once.
      expect((await devStats(entries[i]!.url)).violations).toBe(before[i]!.violations)
    }
  }

  it('60 failing requests from 5 accounts against 1 origin: it stays in service, the next good request gets 200', async () => {
    await attack([{ url: origins.single1, speakers: [...PRESET_SPEAKERS, 'ghost'] }])
  })

  it('60 failing requests from 5 accounts against 2 origins: both stay in service', async () => {
    await attack([
      { url: origins.single1, speakers: [...PRESET_SPEAKERS, 'ghost'] },
      { url: origins.single2, speakers: [...PRESET_SPEAKERS, 'ghost'] },
    ])
  })

  it('streams that break after audio started, from many accounts, do not take origins out either', async () => {
    const edge = edgeWith([{ url: origins.single1 }, { url: origins.single2 }], { ORIGIN_BREAKER_FAILURES: '1', ORIGIN_BREAKER_COOLDOWN_MS: '600000' })
    for (const token of await Promise.all([heavyUser(), heavyUser(), heavyUser()])) {
      for (let i = 0; i < 2; i++) {
        const res = await edge.tts(token, 'One. Two. [[dev:repeat=2]][[dev:cut]]')
        expect(res.status).toBe(200)
        await expect(res.arrayBuffer()).rejects.toThrow()
      }
    }
    const status = await runAlarmsUntil(edge, (s) => settled(s) && s.origins.reduce((n, o) => n + o.failed, 0) >= 6)
    expect(status.origins.reduce((n, o) => n + o.failed, 0)).toBe(6) // seen by operators
    expect(status.origins.map((o) => o.state)).toEqual(['closed', 'closed'])
    expect(status.origins.reduce((n, o) => n + o.suspicions.cleared, 0)).toBe(6)
    const ok = await edge.tts(await heavyUser())
    expect(ok.status).toBe(200)
    await ok.arrayBuffer()
  })

  it('an origin that fails everything, its canary too, is out within 3 requests, probed with the canary, back once it passes', async () => {
    const setFault = (fault: string | null) => fetch(`${origins.broken}/__dev/fault`, { method: 'POST', body: JSON.stringify({ fault }) })
    await setFault('error')
    try {
      const canary = { mode: 'cross_lingual', text: 'Canary check.' }
      const edge = edgeWith([{ url: origins.broken, canary }], { ORIGIN_BREAKER_COOLDOWN_MS: '600000' })
      const token = await heavyUser()
      const statuses: number[] = []
      let status = await edge.status()
      for (let i = 0; i < 3 && status.origins[0]!.state !== 'open'; i++) {
        const res = await edge.tts(token)
        statuses.push(res.status)
        await res.arrayBuffer()
        // The canary the first failure asked for runs in the pool's alarm.
        status = await runAlarmsUntil(edge, (s) => s.origins[0]!.canary.state === 'idle')
      }
      expect(statuses[0]).toBe(502)
      expect(status.origins[0]).toMatchObject({
        state: 'open',
        out_because: expect.stringMatching(/^canary failed: \/inference_cross_lingual: the stream broke after 0 bytes/),
        canary: { passed: 0, failed: 1, last: { ok: false } },
        suspicions: { pending: 0, cleared: 0 },
      })
      expect(status.origins[0]!.suspicions.confirmed).toBeGreaterThanOrEqual(1)
      expect(status.origins[0]!.suspicions.recent.at(-1)).toMatchObject({ verdict: 'confirmed', reason: expect.stringMatching(/^canary failed at /) })
      // The operator's canary, signed like any edge call, with the CosyVoice3 marker and the built-in prompt.
      const sent = (
        (await originRecords('', origins.broken)) as unknown as { headers: Record<string, string>; fields: Record<string, string>; files: Record<string, { size: number }> }[]
      ).filter((r) => r.headers['x-user-role'] === 'canary')
      expect(sent.at(-1)).toMatchObject({ fields: { tts_text: `${V3_PROMPT}Canary check.` }, files: { prompt_wav: { size: 48044 } } })

      // Out: nothing more reaches it.
      const calls = (await devStats(origins.broken)).total
      const out = await edge.tts(token)
      expect(out.status).toBe(503)
      expect((await errorOf(out)).code).toBe('origins_unavailable')
      expect((await devStats(origins.broken)).total).toBe(calls)

      // After the cooldown the probe is the canary: it still fails, so the origin stays out.
      status = await runAlarmsUntil(edge, (s) => s.origins[0]!.canary.failed === 2)
      expect(status.origins[0]!.state).toBe('open')
      expect((await devStats(origins.broken)).total).toBe(calls + 1)

      // The machine is repaired: the next probe's canary passes and it is back.
      await setFault(null)
      status = await runAlarmsUntil(edge, (s) => s.origins[0]!.state === 'closed')
      expect(status.origins[0]).toMatchObject({ state: 'closed', out_because: null, canary: { passed: 1, failed: 2 } })
      const back = await edge.tts(token)
      expect(back.status).toBe(200)
      expect((await back.arrayBuffer()).byteLength).toBeGreaterThan(44)
    } finally {
      await setFault('error')
    }
  })

  it('next to a broken origin, a good one serves every request while the broken one is found out', async () => {
    const edge = edgeWith(
      [
        { url: origins.broken, weight: 100 },
        { url: origins.single2, weight: 1 },
      ],
      { ORIGIN_BREAKER_COOLDOWN_MS: '600000' },
    )
    const token = await heavyUser()
    for (let i = 0; i < 3; i++) {
      const res = await edge.tts(token)
      expect(res.status).toBe(200) // failover: the client never sees the broken origin
      await res.arrayBuffer()
    }
    const status = await runAlarmsUntil(edge, (s) => s.origins[0]!.state === 'open')
    expect(status.origins[0]).toMatchObject({ state: 'open', out_because: expect.stringMatching(/^canary failed/) })
    expect(status.origins[1]).toMatchObject({ state: 'closed', failed: 0 })
  })

  it('sft goes only to the origins that have the speaker', async () => {
    const edge = edgeWith([
      { url: origins.single1, speakers: ['英文女'], weight: 100 },
      { url: origins.single2, speakers: ['中文女'] },
    ])
    const token = await heavyUser()
    for (let i = 0; i < 3; i++) {
      const res = await edge.tts(token, '你好。', undefined, '中文女')
      expect(res.status).toBe(200)
      await res.arrayBuffer()
      const id = res.headers.get('x-request-id')!
      expect(await originRecords(id, origins.single1)).toEqual([])
      expect(await originRecords(id, origins.single2)).toHaveLength(1)
    }
    const unknown = await edge.tts(token, 'Hello.', undefined, '韩语女')
    expect(unknown.status).toBe(400)
    expect((await errorOf(unknown)).code).toBe('unknown_speaker')
  })

  it('a first byte later than ORIGIN_FIRST_BYTE_TIMEOUT_MS → 504 origin_timeout', async () => {
    const edge = edgeWith([{ url: origins.single2 }], { ORIGIN_FIRST_BYTE_TIMEOUT_MS: '300' })
    const res = await edge.tts(await heavyUser(), 'Slow. [[dev:delay=3000]]')
    expect(res.status).toBe(504)
    expect((await errorOf(res)).code).toBe('origin_timeout')
    const status = await edge.status()
    expect(status.origins[0]).toMatchObject({ in_flight: 0, failed: 1, consecutive_failures: 1 })
  })
})

describe('ORIGINS: speakers and canaries are validated once, naming the field', () => {
  const cases: [string, unknown, RegExp][] = [
    ['speakers that are not a list', [{ url: 'http://127.0.0.1:1', speakers: '中文女' }], /ORIGINS\[0\]\.speakers must be a list/],
    ['a blank speaker', [{ url: 'http://127.0.0.1:1', speakers: [' '] }], /ORIGINS\[0\]\.speakers\[0\] must be a speaker name of 1 to 64 characters/],
    ['a speaker listed twice', [{ url: 'http://127.0.0.1:1', speakers: ['a', 'a'] }], /ORIGINS\[0\]\.speakers lists "a" twice/],
    [
      'an sft canary with a speaker the origin lacks',
      [{ url: 'http://127.0.0.1:1', speakers: ['a'], canary: { mode: 'sft', speaker: 'b' } }],
      /ORIGINS\[0\]\.canary\.speaker must be one of this origin's speakers/,
    ],
    ['a canary of an unknown mode', [{ url: 'http://127.0.0.1:1', canary: { mode: 'zero_shot' } }], /ORIGINS\[0\]\.canary\.mode must be "sft" or "cross_lingual"/],
    ['a canary with an unknown setting', [{ url: 'http://127.0.0.1:1', canary: { mode: 'cross_lingual', voice: 'x' } }], /ORIGINS\[0\]\.canary\.voice is not a canary setting/],
    ['an empty canary text', [{ url: 'http://127.0.0.1:1', canary: { mode: 'cross_lingual', text: '' } }], /ORIGINS\[0\]\.canary\.text must be 1 to 200 characters/],
  ]
  for (const [name, origins, message] of cases) {
    it(`answers 500 misconfigured for ${name}`, async () => {
      const res = await appWith({ ORIGINS: JSON.stringify(origins) }).fetch(
        new Request('https://edge.test/v1/speakers', { headers: { authorization: `Bearer ${await tokenFor(uniqueUser())}` } }),
      )
      expect(res.status).toBe(500)
      const error = await errorOf(res)
      expect(error.code).toBe('misconfigured')
      expect(error.message).toMatch(message)
    })
  }

  it('the default canary: sft with the first speaker, else cross_lingual, saying "Hello."', () => {
    const [withSpeakers, without, v2] = parseOrigins(
      JSON.stringify([{ url: 'http://127.0.0.1:1', speakers: ['b', 'a'] }, { url: 'http://127.0.0.1:2' }, { url: 'http://127.0.0.1:3', model: 'cosyvoice2' }]),
    )
    expect(withSpeakers!.canary).toEqual({ mode: 'sft', speaker: 'b', text: 'Hello.' })
    expect(without!.canary).toEqual({ mode: 'cross_lingual', text: 'Hello.' })
    expect(v2!.canary).toEqual({ mode: 'cross_lingual', text: 'Hello.' })
    expect(without!.speakers).toEqual([])
  })
})

describe('GET /admin/origins', () => {
  it('is for admins only', async () => {
    const edge = edgeWith([{ url: origins.single2 }])
    expect((await edge.adminAs('premium')).status).toBe(403)
    const status = await edge.status()
    expect(status.origins[0]).toMatchObject({
      url: origins.single2,
      concurrency: 1,
      weight: 1,
      state: 'closed',
      in_flight: 0,
      model: 'cosyvoice3',
      speakers: PRESET_SPEAKERS,
      canary: { state: 'idle', last: null, passed: 0, failed: 0 },
      suspicions: { pending: 0, cleared: 0, confirmed: 0, recent: [] },
    })
    expect(status.queue).toMatchObject({ waiting: 0, limit: 200, per_user_limit: 10 })
  })
})

describe('edge proof at the origin', () => {
  it('a captured request replayed to the origin is refused, and so is an old proof', async () => {
    const edge = edgeWith([{ url: origins.single2 }])
    const res = await edge.tts(await heavyUser())
    await res.arrayBuffer()
    const [record] = await originRecords(res.headers.get('x-request-id')!, origins.single2)
    const form = () => {
      const body = new FormData()
      body.set('tts_text', `${V3_PROMPT}${SHORT}`)
      body.set('spk_id', '英文女')
      return body
    }
    const captured = record!.headers as Record<string, string>
    const replay = await fetch(`${origins.single2}/inference_sft`, { method: 'POST', headers: captured, body: form() })
    expect(replay.status).toBe(401)
    expect(await replay.json()).toEqual({ detail: 'edge proof replayed' })

    const proof = (timestamp: number) =>
      edgeProofHeaders(TEST_SECRETS.ORIGIN_SECRET, { method: 'POST', path: '/inference_sft', requestId: crypto.randomUUID(), userId: 'u', role: 'free', timestamp })
    const now = Math.floor(Date.now() / 1000)
    const old = await fetch(`${origins.single2}/inference_sft`, { method: 'POST', headers: await proof(now - 300), body: form() })
    expect(old.status).toBe(401)
    expect(await old.json()).toEqual({ detail: 'edge proof expired' })

    const fresh = await fetch(`${origins.single2}/inference_sft`, { method: 'POST', headers: await proof(now), body: form() })
    expect(fresh.status).toBe(200)
    await fresh.arrayBuffer()
  })
})
