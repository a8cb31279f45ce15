/**
 * The bench's capacity Worker: how many calls one Durable Object answers per second, driven over
 * HTTP by bench/sections/capacity.mjs. `GET /capacity/{noop,user,pool}?…` sets an object up, then
 * streams one line when the measured part starts and one when it ends; the caller times the gap
 * (workerd's clocks stand still during computation, and pending RPC calls cannot outlive the request
 * that made them, so setup, run and teardown are one request). The bench builds this file against
 * this commit's src/ and an older one's, to show a change to the objects before and after.
 */
import { DurableObject } from 'cloudflare:workers'
import { parseTiers, tierFor } from '../../src/config/tiers'
import { originForm } from '../../src/origin/cosyvoice-form'
import type { Env } from '../../src/env'
import type { OriginPool } from '../../src/pool/origin-pool'
import type { AcquireResult, PoolPolicy } from '../../src/pool/pool-types'
import type { UserObject } from '../../src/users/user-object'

export * from '../../src/index'

/**
 * Each origin's canary (a commit whose pool has none ignores it). Never sent: no origin here fails,
 * so the pool never suspects one.
 */
const CANARY = originForm({ mode: 'cross_lingual', text: 'Hello.' }, 'cosyvoice3')

/** The least a Durable Object call can cost: the floor under the capacity rows. */
export class NoopObject extends DurableObject {
  ping(): number {
    return 1
  }
}

interface CapacityEnv extends Env {
  NOOP: DurableObjectNamespace<NoopObject>
}

export default {
  async fetch(request: Request, env: CapacityEnv): Promise<Response> {
    const url = new URL(request.url)
    const q = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback)
    switch (url.pathname) {
      case '/health':
        return Response.json({ ok: true })
      case '/capacity/noop':
        return timed(async () => {
          const stub = env.NOOP.get(env.NOOP.idFromName(`noop-${crypto.randomUUID()}`))
          await stub.ping()
          return async () => {
            await chains(q('conc', 1), q('n', 0), () => stub.ping())
            return { calls: q('n', 0) }
          }
        })
      case '/capacity/user':
        return timed(() => userCapacity(env, url.searchParams.get('op') ?? 'admit-settle', q('n', 0), q('conc', 1)))
      case '/capacity/pair':
        return timed(() => pairLatency(env, url.searchParams.get('mode') === 'parallel', q('n', 0)))
      case '/capacity/pool':
        return timed(() => poolCapacity(env, { origins: q('origins', 1), waiting: q('waiting', 0), n: q('n', 0), conc: q('conc', 1), op: url.searchParams.get('op') ?? 'cycle' }))
      default:
        return new Response('not found', { status: 404 })
    }
  },
} satisfies ExportedHandler<CapacityEnv>

/**
 * Runs `setup`, then streams `start` when the measured part begins and `end {…}` when it is over;
 * the bench times the gap between the two lines (then the teardown the run returned, if any).
 */
function timed(setup: () => Promise<() => Promise<Record<string, unknown> & { teardown?: () => Promise<void> }>>): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
  const writer = writable.getWriter()
  const line = (text: string) => writer.write(new TextEncoder().encode(`${text}\n`))
  void (async () => {
    try {
      const run = await setup()
      await line('start')
      const { teardown, ...result } = await run()
      await line(`end ${JSON.stringify(result)}`)
      await teardown?.()
    } catch (e) {
      await line(`error ${String((e as Error)?.stack ?? e)}`)
    } finally {
      await writer.close()
    }
  })()
  return new Response(readable, { headers: { 'content-type': 'text/plain' } })
}

/** `n` calls of `call`, at most `conc` in flight. */
async function chains(conc: number, n: number, call: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(conc, n)) }, async () => {
      while (next < n) await call(next++)
    }),
  )
}

type UserStub = DurableObjectStub<UserObject>

/**
 * The admin tier: no limit refuses, so every call measures a full decision. (Settings are parsed
 * here, not with getConfig, which also insists on bindings this Worker does not need.)
 */
const unlimited = (env: Env) => tierFor(parseTiers(env.TIERS), 'admin').tier

/** One admission as the app makes it (with the token reference the revocation check reads). */
async function admit(stub: UserStub, tier: ReturnType<typeof unlimited>): Promise<string> {
  const result = await stub.admit(tier, crypto.randomUUID(), { jti: crypto.randomUUID(), issuedAt: Math.floor(Date.now() / 1000) })
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`)
  return result.reservation
}

/**
 * One user's object: `admit-settle` pairs (a whole synthesis' worth of limit calls), or `renew`s of
 * `conc` running syntheses' leases.
 */
async function userCapacity(env: Env, op: string, n: number, conc: number) {
  const tier = unlimited(env)
  const stub = env.USERS.get(env.USERS.idFromName(`capacity-${crypto.randomUUID()}`))
  await stub.settle(await admit(stub, tier), { ok: false }, tier)
  if (op === 'renew') {
    const leases = await Promise.all(Array.from({ length: conc }, () => admit(stub, tier)))
    return async () => {
      await chains(conc, n, (i) => stub.renew(leases[i % conc]!))
      return { calls: n, teardown: async () => void (await Promise.all(leases.map((r) => stub.settle(r, { ok: false }, tier)))) }
    }
  }
  return async () => {
    await chains(conc, n, async () => stub.settle(await admit(stub, tier), { ok: false }, tier))
    return { calls: 2 * n }
  }
}

/**
 * One pool object with `origins` origins of one slot each, all busy, and `waiting` requests in its
 * queue (one user each: the fair queue's worst case), then `n` operations:
 * - `cycle`: a running synthesis ends (release) and another request arrives (acquire), `conc` at a
 *   time; each release seats the fairest waiter, and each new request joins the queue, so it stays
 *   `waiting` long. With no queue, the acquire is granted at once (an acquire + release pair).
 * - `renew`: lease renewals of the running syntheses.
 * The origins are never called (no breaker opens, no probe runs).
 */
async function poolCapacity(env: Env, o: { origins: number; waiting: number; n: number; conc: number; op: string }) {
  const run = crypto.randomUUID().slice(0, 8)
  const policy: PoolPolicy = {
    origins: Array.from({ length: o.origins }, (_, i) => ({ url: `http://gpu-${i}.bench.invalid:50000`, name: `gpu-${i}`, concurrency: 1, weight: 1, canary: CANARY })),
    queuePerUser: 10,
    queueMax: o.waiting + o.n + o.origins + 100,
    queueTimeoutMs: 300_000,
    breakerFailures: 3,
    breakerCooldownMs: 30_000,
    canaryTimeoutMs: 60_000,
  }
  const stub: DurableObjectStub<OriginPool> = env.ORIGIN_POOL.get(env.ORIGIN_POOL.idFromName(`capacity-${run}`))
  const granted: string[] = []
  const pending = new Map<string, Promise<AcquireResult>>()
  /** Chains waiting for a grant: woken one per grant (not a race over every pending call). */
  const wakers: (() => void)[] = []
  let failure: Error | undefined
  let arrivals = 0
  const arrive = () => {
    const ticket = `t-${arrivals}`
    const call = stub.acquire(policy, ticket, `user-${arrivals++}`).then((r) => {
      pending.delete(ticket)
      if (!r.ok) throw new Error(`acquire refused: ${JSON.stringify(r)}`)
      granted.push(ticket)
      wakers.shift()?.()
      return r
    })
    pending.set(ticket, call)
    call.catch((e: Error) => {
      failure ??= e
      for (const wake of wakers.splice(0)) wake()
    })
    return call
  }
  for (let i = 0; i < o.origins; i++) await arrive()
  for (let i = 0; i < o.waiting; i++) void arrive()
  for (let i = 0; (await stub.status(policy)).queue.waiting < o.waiting; i++) if (i > 200) throw new Error('the queue did not fill')

  const teardown = async () => {
    await Promise.all([...pending.keys()].map((t) => stub.cancel(t)))
    await Promise.all(granted.splice(0).map((t) => stub.release(t, {})))
  }
  if (o.op === 'renew') {
    const held = [...granted]
    return async () => {
      await chains(o.conc, o.n, (i) => stub.renew(held[i % held.length]!))
      return { calls: o.n, teardown }
    }
  }
  /** A granted ticket, waiting for a grant if none is free right now. */
  const take = async (): Promise<string> => {
    for (;;) {
      if (failure) throw failure
      const ticket = granted.shift()
      if (ticket) return ticket
      await new Promise<void>((wake) => wakers.push(wake))
    }
  }
  return async () => {
    await chains(o.conc, o.n, async () => {
      const ticket = await take()
      await stub.release(ticket, {})
      const arrival = arrive()
      if (o.waiting === 0) await arrival
    })
    return { calls: 2 * o.n, waitingAtEnd: (await stub.status(policy)).queue.waiting, teardown }
  }
}

/**
 * What a synthesis asks before its first byte, `n` times one after the other: the user's admission
 * and a GPU slot, in series or in parallel (then settled and released), on objects in this workerd.
 */
async function pairLatency(env: Env, parallel: boolean, n: number) {
  const tier = unlimited(env)
  const run = crypto.randomUUID().slice(0, 8)
  const user = env.USERS.get(env.USERS.idFromName(`pair-${run}`))
  const pool: DurableObjectStub<OriginPool> = env.ORIGIN_POOL.get(env.ORIGIN_POOL.idFromName(`pair-${run}`))
  const policy: PoolPolicy = {
    origins: [{ url: 'http://gpu.bench.invalid:50000', name: 'gpu', concurrency: 1000, weight: 1, canary: CANARY }],
    queuePerUser: 10,
    queueMax: 100,
    queueTimeoutMs: 1000,
    breakerFailures: 3,
    breakerCooldownMs: 30_000,
    canaryTimeoutMs: 60_000,
  }
  const admitted = () => admit(user, tier)
  // With a slot free, acquire does what acquireNow does (and every commit has it).
  const slot = async (ticket: string) => {
    const r = await pool.acquire(policy, ticket, 'pair')
    if (!r.ok) throw new Error(`slot refused: ${JSON.stringify(r)}`)
  }
  const once = async () => {
    const ticket = crypto.randomUUID()
    let reservation: string
    if (parallel) [reservation] = await Promise.all([admitted(), slot(ticket)])
    else {
      reservation = await admitted()
      await slot(ticket)
    }
    await Promise.all([user.settle(reservation, { ok: false }, tier), pool.release(ticket, {})])
  }
  await once()
  return async () => {
    for (let i = 0; i < n; i++) await once()
    return { calls: n }
  }
}
