import { runDurableObjectAlarm } from 'cloudflare:test'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { parseOrigins } from '../src/config/origins'
import { edgeProofHeaders } from '../src/origin/edge-proof'
import { poolStub } from '../src/pool/pool-client'
import type { PoolStatus } from '../src/pool/pool-types'
import { call, errorOf } from './support/api'
import { appWith } from './support/app'
import { originRecords } from './support/origin'
import { TEST_SECRETS } from './support/test-secrets'
import { tokenFor, uniqueUser } from './support/tokens'

const origins = inject('poolOrigins')
const SHORT = 'Hi there.'

type OriginEntry = { url: string; concurrency?: number; weight?: number }

/** Every test's edges: their waitUntil work (freeing slots, settling quota) is awaited after the test. */
const edges: ReturnType<typeof appWith>[] = []
afterEach(async () => {
  await Promise.all(edges.splice(0).map((edge) => edge.settled()))
})

/**
 * The app over the real bindings with its own ORIGINS (and pool settings): every edge gets a pool
 * object of its own, because the pool is named by a hash of ORIGINS and each edge's origins carry
 * a unique `name`.
 */
function edgeWith(entries: OriginEntry[], settings: Record<string, string> = {}) {
  const label = crypto.randomUUID().slice(0, 8)
  const ORIGINS = JSON.stringify(entries.map((e, i) => ({ ...e, name: `test-${label}-${i}` })))
  const app = appWith({ ...settings, ORIGINS })
  edges.push(app)
  const edgeEnv = app.env
  const send = (path: string, init: RequestInit) => app.fetch(new Request(`https://edge.test${path}`, init))
  return {
    tts: async (token: string, text = SHORT, signal?: AbortSignal, speaker = '英文女') =>
      send('/v1/tts', { method: 'POST', signal, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ text, mode: 'sft', speaker }) }),
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
 * Runs the pool's alarms, as their times came, until `done` (the first may be the one set for a
 * lease to lapse, the next the probe).
 */
async function runAlarmsUntil(edge: ReturnType<typeof edgeWith>, done: (s: PoolStatus) => boolean): Promise<PoolStatus> {
  const stub = await edge.stub()
  let status = await edge.status()
  for (let i = 0; i < 3 && !done(status); i++) {
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    status = await edge.status()
  }
  return status
}

/** Heavy users: the admin tier has no per-user limits, so only the pool decides who waits. */
const heavyUser = () => tokenFor(uniqueUser('heavy'), { role: 'admin' })

async function devStats(url: string): Promise<{ inFlight: number; maxInFlight: number; violations: number; total: number }> {
  return (await fetch(`${url}/__dev/stats`)).json()
}

/** Polls for something that happens in another request or in waitUntil; returns what it saw last. */
async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  let value!: T
  await expect
    .poll(async () => {
      value = await probe()
      return ok(value)
    }, { interval: 25, timeout: 5000 })
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
    await until(() => edge.status(), (s) => s.queue.waiting === 9)
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
    await until(() => edge.status(), (s) => s.queue.waiting === 1)
    abort.abort()
    await reader.cancel().catch(() => {})

    const res = await next
    expect(res.status).toBe(200)
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(44)
    // The partial audio was not kept.
    const list = (await (await call('GET', '/v1/audio', { token: a })).json()) as { items: unknown[] }
    expect(list.items).toEqual([])
    const status = await until(() => edge.status(), (s) => s.origins[0]!.in_flight === 0)
    expect(status.origins[0]!.in_flight).toBe(0)
  })
})

describe('failover and the circuit breaker', () => {
  it('skips an origin that refuses connections for another', async () => {
    // The heavier weight is tried first on a fresh pool.
    const edge = edgeWith([{ url: origins.refused, weight: 2 }, { url: origins.single2, weight: 1 }])
    const res = await edge.tts(await heavyUser())
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const records = await originRecords(res.headers.get('x-request-id')!, origins.single2)
    expect(records).toHaveLength(1)
    const [refused, good] = (await edge.status()).origins
    expect(refused).toMatchObject({ state: 'closed', failed: 1, consecutive_failures: 1, in_flight: 0 })
    expect(refused!.recent_errors[0]!.code).toBe('origin_unavailable')
    expect(good).toMatchObject({ succeeded: 1, failed: 0 })
  })

  it('treats 200 with an empty body as a failure, and takes the origin out after N of them', async () => {
    const edge = edgeWith([{ url: origins.empty, weight: 2 }, { url: origins.single2, weight: 1 }], { ORIGIN_BREAKER_FAILURES: '2', ORIGIN_BREAKER_COOLDOWN_MS: '600000' })
    // Two users: one user's failures alone never take an origin out.
    const [token, other] = await Promise.all([heavyUser(), heavyUser()])
    let status = await edge.status()
    for (let i = 0; i < 10 && status.origins[0]!.state !== 'open'; i++) {
      const res = await edge.tts(i % 2 ? other : token)
      expect(res.status).toBe(200) // failover: the client never sees the empty origin
      await res.arrayBuffer()
      status = await edge.status()
    }
    expect(status.origins[0]!.state).toBe('open')
    // At least N failures, from two users (which users the weighted choice sent there varies).
    expect(status.origins[0]!.failed).toBeGreaterThanOrEqual(2)
    expect(new Set(status.origins[0]!.recent_errors.map((e) => e.code))).toEqual(new Set(['origin_failed']))
    expect(status.origins[0]!.next_probe_at).not.toBeNull()

    const calls = (await devStats(origins.empty)).total
    for (let i = 0; i < 3; i++) {
      const res = await edge.tts(token)
      expect(res.status).toBe(200)
      await res.arrayBuffer()
    }
    expect((await devStats(origins.empty)).total).toBe(calls)
  })

  it('an open origin is not called until a probe finds it answering; its trial request decides', async () => {
    // The empty origin is weighted to be chosen first, so its failures are proven by the other.
    const edge = edgeWith([{ url: origins.empty, weight: 100 }, { url: origins.single2, weight: 1 }], { ORIGIN_BREAKER_FAILURES: '2', ORIGIN_BREAKER_COOLDOWN_MS: '600000' })
    const [token, other] = await Promise.all([heavyUser(), heavyUser()])
    let status = await edge.status()
    for (let i = 0; i < 10 && status.origins[0]!.state !== 'open'; i++) {
      const res = await edge.tts(i % 2 ? other : token)
      expect(res.status).toBe(200)
      await res.arrayBuffer()
      status = await edge.status()
    }
    expect(status.origins[0]!.state).toBe('open')
    const calls = (await devStats(origins.empty)).total
    const whileOpen = await edge.tts(token)
    expect(whileOpen.status).toBe(200)
    await whileOpen.arrayBuffer()
    expect((await devStats(origins.empty)).total).toBe(calls)

    // The probe is the pool's alarm; run it now instead of waiting out the cooldown.
    expect((await runAlarmsUntil(edge, (s) => s.origins[0]!.state !== 'open')).origins[0]!.state).toBe('half_open')
    expect((await devStats(origins.empty)).total).toBe(calls) // a probe is not a synthesis

    // One trial request goes to it; it answers no audio while the other origin synthesizes the
    // same request, so it is out again.
    const trial = await edge.tts(token)
    expect(trial.status).toBe(200)
    await trial.arrayBuffer()
    expect((await devStats(origins.empty)).total).toBe(calls + 1)
    expect((await until(() => edge.status(), (s) => s.origins[0]!.state === 'open')).origins[0]!.state).toBe('open')
  })

  it('one user alone cannot take origins out, even with streams that break mid-way', async () => {
    const edge = edgeWith([{ url: origins.single1 }, { url: origins.single2 }], { ORIGIN_BREAKER_FAILURES: '2', ORIGIN_BREAKER_COOLDOWN_MS: '600000' })
    const token = await heavyUser()
    for (let i = 0; i < 6; i++) {
      const res = await edge.tts(token, 'One. Two. [[dev:cut]]')
      expect(res.status).toBe(200)
      await expect(res.arrayBuffer()).rejects.toThrow()
    }
    const status = await until(() => edge.status(), (s) => s.origins.reduce((n, o) => n + o.failed, 0) >= 6)
    expect(status.origins.reduce((n, o) => n + o.failed, 0)).toBe(6) // seen by operators
    expect(status.origins.map((o) => o.state)).toEqual(['closed', 'closed'])
    const ok = await edge.tts(await heavyUser())
    expect(ok.status).toBe(200)
    await ok.arrayBuffer()
  })

  it('a lone origin that answers everyone with no audio is taken out', async () => {
    const edge = edgeWith([{ url: origins.empty }], { ORIGIN_BREAKER_FAILURES: '2', ORIGIN_BREAKER_COOLDOWN_MS: '600000' })
    for (const token of await Promise.all([heavyUser(), heavyUser()])) {
      const res = await edge.tts(token)
      expect(res.status).toBe(502)
      expect((await errorOf(res)).code).toBe('origin_failed')
    }
    const status = await until(() => edge.status(), (s) => s.origins[0]!.state === 'open')
    expect(status.origins[0]).toMatchObject({ state: 'open', failed: 2 })
    const out = await edge.tts(await heavyUser())
    expect(out.status).toBe(503)
    expect((await errorOf(out)).code).toBe('origins_unavailable')
  })

  it('a request that fails on every origin (an unknown speaker) is not held against them', async () => {
    const edge = edgeWith([{ url: origins.single1 }, { url: origins.single2 }], { ORIGIN_BREAKER_FAILURES: '1', ORIGIN_BREAKER_COOLDOWN_MS: '600000' })
    const token = await heavyUser()
    for (let i = 0; i < 3; i++) {
      const res = await edge.tts(token, SHORT, undefined, 'no-such-speaker')
      expect(res.status).toBe(502)
      expect((await errorOf(res)).code).toBe('origin_failed')
    }
    const status = await edge.status()
    expect(status.origins.map((o) => o.state)).toEqual(['closed', 'closed'])
    const ok = await edge.tts(token)
    expect(ok.status).toBe(200)
    await ok.arrayBuffer()
  })

  it('an origin that stays down fails its probe and stays out', async () => {
    const edge = edgeWith([{ url: origins.refused }], { ORIGIN_BREAKER_FAILURES: '1', ORIGIN_BREAKER_COOLDOWN_MS: '600000' })
    for (const token of await Promise.all([heavyUser(), heavyUser()])) {
      const res = await edge.tts(token)
      expect(res.status).toBe(502)
      expect((await errorOf(res)).code).toBe('origin_unavailable')
    }
    const [origin] = (await runAlarmsUntil(edge, (s) => s.origins[0]!.recent_errors[0]?.code === 'probe_failed')).origins
    expect(origin!.state).toBe('open')
    expect(origin!.recent_errors[0]!.code).toBe('probe_failed')
  })

  it('a first byte later than ORIGIN_FIRST_BYTE_TIMEOUT_MS → 504 origin_timeout', async () => {
    const edge = edgeWith([{ url: origins.single2 }], { ORIGIN_FIRST_BYTE_TIMEOUT_MS: '300' })
    const res = await edge.tts(await heavyUser(), 'Slow. [[dev:delay=3000]]')
    expect(res.status).toBe(504)
    expect((await errorOf(res)).code).toBe('origin_timeout')
    const status = await edge.status()
    expect(status.origins[0]).toMatchObject({ in_flight: 0, failed: 1 })
  })
})

describe('GET /admin/origins', () => {
  it('is for admins only', async () => {
    const edge = edgeWith([{ url: origins.single2 }])
    expect((await edge.adminAs('premium')).status).toBe(403)
    const status = await edge.status()
    expect(status.origins[0]).toMatchObject({ url: origins.single2, concurrency: 1, weight: 1, state: 'closed', in_flight: 0, model: 'cosyvoice3' })
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
      body.set('tts_text', SHORT)
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
