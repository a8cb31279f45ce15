import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'
import { runCanary, type CanaryResult } from './canary'
import { CanaryLedger } from './canary-ledger'
import { CircuitBreaker } from './circuit-breaker'
import { FairQueue, type Waiting } from './fair-queue'
import { OriginStats } from './origin-stats'
import type { AcquireResult, AttemptFailure, PoolPolicy, PoolStatus, QueuePlace, RefusalCode, SlotReport } from './pool-types'
import { SlotLedger } from './slot-ledger'
import { migrate } from '../sql/migrations'
import { SuspicionLedger } from './suspicion-ledger'

/** Until the pool has seen syntheses finish, a refusal assumes one takes this long. */
const ASSUMED_DURATION_MS = 5_000
const MAX_RETRY_AFTER_S = 60
/** Whose slot a canary holds (never a user key: those are 43 base64url characters). */
const CANARY_USER = '(canary)'

interface Waiter extends Waiting {
  /** Already failed on an origin: "no other origin" rather than "none available" when refused. */
  isFailover: boolean
  /** When it joined the queue (ms). */
  since: number
  settle(result: AcquireResult): void
}

type PoolOrigin = PoolPolicy['origins'][number]

/**
 * Admission to the GPU machines: grants slots so that no origin ever runs more syntheses than its
 * `concurrency`, queues the rest fairly across users, and takes out origins shown to be failing.
 *
 * One object for the whole pool (named by a hash of ORIGINS, pool-client.ts), not one per origin:
 * fairness and failover are decisions across origins ("which user is next, on which machine that
 * has a free slot and that this request has not failed on"), and with one object per origin the
 * queue would have to live somewhere else and pay a second round trip to learn which origin has
 * room. One object is not the bottleneck it looks like: it serialises a few SQLite statements per
 * synthesis, thousands per second, while the GPUs it guards run a handful of multi-second
 * syntheses at a time (docs/ORIGIN-PROTOCOL.md). The cost is that a pool lives in one location; the Worker
 * reaches it in one round trip to acquire and one to release.
 *
 * Judging origins by evidence: a failure no request can cause (unreachable, 5xx, no first byte in
 * time) counts toward the breaker (circuit-breaker.ts). An answer without audio, or a stream that
 * broke, is only a suspicion, because the stock server answers a bad request that way too: it makes
 * the pool send the origin its canary (canary.ts), a short synthesis known to be good, at most once
 * per cooldown per origin. A failed canary takes the origin out; a passed one clears the suspicions
 * (and, within the cooldown, the later ones). So no run of requests, from any number of accounts,
 * takes out an origin whose canary passes, while an origin that fails everything is out after its
 * first failure and the canary it triggers. An origin that is out is probed with its canary after
 * each cooldown and is back as soon as one passes.
 *
 * A canary holds a slot of its origin like a synthesis (seated before any waiting request), and is
 * sent from the alarm handler, which waits for it. Slots are leases in SQLite (slot-ledger.ts) and
 * expire by the alarm if a Worker dies; breakers, canaries, suspicions and statistics are in SQLite
 * too. The queue is in memory: its entries are pending `acquire` RPC calls, which keep the object
 * alive and cannot outlive it anyway.
 */
export class OriginPool extends DurableObject<Env> {
  readonly #slots: SlotLedger
  readonly #breaker: CircuitBreaker
  readonly #canaries: CanaryLedger
  readonly #suspicions: SuspicionLedger
  readonly #stats: OriginStats
  readonly #queue = new FairQueue<Waiter>()
  /** Smooth weighted round robin state (nginx's): each origin's current weight. */
  readonly #currentWeight = new Map<string, number>()
  #policy: PoolPolicy | undefined
  #policyJson: string | undefined
  #arrivals = 0
  /** When the alarm is set for; undefined until read from storage. */
  #alarmAt: number | null | undefined

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    const sql = ctx.storage.sql
    this.#slots = new SlotLedger(sql)
    this.#breaker = new CircuitBreaker(sql)
    this.#canaries = new CanaryLedger(sql)
    this.#suspicions = new SuspicionLedger(sql)
    this.#stats = new OriginStats(sql)
    // Canaries under way died with the previous instance: free their slots, send them again.
    for (const ticket of this.#canaries.recoverInterrupted()) this.#slots.take(ticket)
    // The alarm needs the origins after a restart, before any Worker has called.
    migrate(sql, 'pool_policy', ['CREATE TABLE IF NOT EXISTS policy (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)'])
    const stored = sql.exec<{ json: string }>('SELECT json FROM policy').toArray()[0]
    const policy = stored && (JSON.parse(stored.json) as Partial<PoolPolicy>)
    // A policy stored by an older version has no canaries: the next acquire brings a current one.
    if (policy && policy.canaryTimeoutMs !== undefined) this.#adopt(policy as PoolPolicy)
  }

  /**
   * Hot path, one round trip: a slot on an origin, now or after waiting in the fair queue, or a
   * refusal. `ticket` names the slot in every later call (release, renew, cancel, failover).
   * `exclude`: origins this request cannot use (an sft speaker they do not have).
   */
  async acquire(policy: PoolPolicy, ticket: string, user: string, exclude: string[] = []): Promise<AcquireResult> {
    this.#adopt(policy)
    return this.#enqueue(ticket, user, new Set(exclude), false)
  }

  /**
   * A slot only if one is free for this request right now, else `would_wait` without ever taking a
   * place in the queue: what a Worker asks while the user's own admission is still undecided
   * (synthesis/admit-and-acquire.ts), so that a user refused there never held up anyone waiting.
   */
  async acquireNow(policy: PoolPolicy, ticket: string, user: string, exclude: string[] = []): Promise<AcquireResult> {
    this.#adopt(policy)
    return this.#enqueue(ticket, user, new Set(exclude), false, false)
  }

  /**
   * The attempt on this ticket's origin failed before any audio: records it, frees the slot and
   * waits for a slot on an origin not in `exclude` (those tried, and those it cannot use). One
   * round trip instead of release + acquire.
   */
  async failover(ticket: string, user: string, report: SlotReport, exclude: string[]): Promise<AcquireResult> {
    await this.#end(ticket, report)
    return this.#enqueue(ticket, user, new Set(exclude), true)
  }

  /** The synthesis ended, however it ended. Safe to call twice (the second does nothing). */
  async release(ticket: string, report: SlotReport): Promise<void> {
    await this.#end(ticket, report)
  }

  async renew(ticket: string): Promise<boolean> {
    return this.#slots.renew(ticket, Date.now())
  }

  /** The client went away: leaves the queue, or frees the slot if it was granted meanwhile. */
  async cancel(ticket: string): Promise<void> {
    const waiter = this.#queue.remove(ticket)
    if (waiter) return waiter.settle({ ok: false, code: 'cancelled', retryAfter: 0 })
    await this.#end(ticket, {})
  }

  status(policy: PoolPolicy): PoolStatus {
    this.#adopt(policy)
    this.#slots.expire(Date.now())
    const inUse = this.#slots.inUse()
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())
    return {
      origins: policy.origins.map((o) => {
        const breaker = this.#breaker.get(o.url)
        const canary = this.#canaries.get(o.url)
        const open = breaker.state === 'open'
        return {
          url: o.url,
          name: o.name,
          concurrency: o.concurrency,
          weight: o.weight,
          state: breaker.state,
          out_because: open ? breaker.reason : null,
          in_flight: inUse.get(o.url) ?? 0,
          consecutive_failures: breaker.failures,
          opened_at: open ? iso(breaker.openedAt) : null,
          next_probe_at: open ? iso(breaker.probeAt) : null,
          ...this.#stats.counts(o.url),
          ttfb_ms: this.#stats.ttfb(o.url),
          recent_errors: this.#stats.recentErrors(o.url),
          canary: {
            state: canary.state === 'seated' ? 'running' : canary.state,
            last: canary.lastAt === null ? null : { at: iso(canary.lastAt)!, ok: canary.lastOk === true, detail: canary.lastDetail ?? '' },
            passed: canary.passed,
            failed: canary.failed,
          },
          suspicions: this.#suspicions.status(o.url),
        }
      }),
      queue: { waiting: this.#queue.size, users: this.#queue.users, limit: policy.queueMax, per_user_limit: policy.queuePerUser, timeout_ms: policy.queueTimeoutMs },
    }
  }

  /**
   * A user's requests waiting for a GPU (`GET /v1/queue`): each one's place in the fair order
   * (1 = next), and a rough wait: the rounds of free slots ahead of it times the median synthesis.
   */
  waitingFor(policy: PoolPolicy, user: string): { items: QueuePlace[]; waiting: number } {
    this.#adopt(policy)
    const order = this.#queue.order()
    const slots = Math.max(
      1,
      policy.origins.filter((o) => this.#breaker.get(o.url).state !== 'open').reduce((n, o) => n + o.concurrency, 0),
    )
    const median = this.#stats.medianDurationMs()
    const items = order.flatMap((w, i) =>
      w.user !== user
        ? []
        : [
            {
              position: i + 1,
              ahead: i,
              waiting_since: new Date(w.since).toISOString(),
              estimate_seconds: median === null ? null : Math.ceil(((Math.floor(i / slots) + 1) * median) / 1000),
            },
          ],
    )
    return { items, waiting: order.length }
  }

  /** Frees the slots of Workers that died, probes the origins whose cooldown is over, sends seated canaries. */
  override async alarm(): Promise<void> {
    const now = Date.now()
    // An alarm that runs is the time it was set for: what it was set to do is due (tests trigger
    // alarms early; in production they never run before their time).
    const due = Math.max(now, this.#alarmAt ?? now)
    this.#alarmAt = null
    this.#slots.expire(now)
    const policy = this.#policy
    if (policy) {
      for (const url of this.#breaker.dueForProbe(due)) {
        if (!policy.origins.some((o) => o.url === url)) continue
        this.#breaker.probing(url, now + policy.breakerCooldownMs)
        this.#canaries.want(url)
      }
      this.#pump(now)
      await Promise.all(this.#canaries.start().map(({ origin, ticket }) => this.#sendCanary(policy, origin, ticket)))
    }
    await this.#schedule()
  }

  async #sendCanary(policy: PoolPolicy, url: string, ticket: string): Promise<void> {
    const origin = policy.origins.find((o) => o.url === url)
    const started = Date.now()
    let result: CanaryResult
    try {
      result = origin ? await runCanary(url, origin.canary, this.env.ORIGIN_SECRET, policy.canaryTimeoutMs) : { ok: false, detail: 'no longer configured' }
    } catch (e) {
      result = { ok: false, detail: `canary error: ${e instanceof Error ? e.message : String(e)}` }
    }
    const now = Date.now()
    this.#slots.take(ticket)
    this.#canaries.finish(url, result.ok, result.detail, started)
    const policyNow = this.#policy ?? policy
    if (result.ok) {
      this.#breaker.canaryPassed(url)
      this.#suspicions.settle(url, 'cleared', `canary passed at ${new Date(started).toISOString()}: ${result.detail}`, now)
    } else {
      this.#stats.note(url, { code: 'canary_failed', detail: result.detail }, now)
      this.#breaker.canaryFailed(url, policyNow.breakerCooldownMs, now, result.detail)
      this.#suspicions.settle(url, 'confirmed', `canary failed at ${new Date(started).toISOString()}: ${result.detail}`, now)
    }
    // Its slot goes to the next waiter now, not when every canary of this alarm is done.
    this.#pump(now)
  }

  #adopt(policy: PoolPolicy): void {
    const json = JSON.stringify(policy)
    if (json === this.#policyJson) return
    this.#policy = policy
    this.#policyJson = json
    this.ctx.storage.sql.exec('INSERT OR REPLACE INTO policy (id, json) VALUES (1, ?)', json)
  }

  async #enqueue(ticket: string, user: string, exclude: ReadonlySet<string>, isFailover: boolean, wait = true): Promise<AcquireResult> {
    const policy = this.#policy!
    const now = Date.now()
    this.#slots.expire(now)
    const refusal = this.#unservable(exclude, isFailover)
    if (refusal) return refusal
    const result = new Promise<AcquireResult>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const waiter: Waiter = {
        ticket,
        user,
        exclude,
        isFailover,
        arrival: this.#arrivals++,
        since: now,
        settle: (r) => {
          if (timer !== undefined) clearTimeout(timer)
          resolve(r)
        },
      }
      this.#queue.push(waiter)
      this.#pump(now)
      if (!this.#queue.has(ticket)) return
      if (!wait) {
        this.#queue.remove(ticket)
        return waiter.settle({ ok: false, code: 'would_wait', retryAfter: 0 })
      }
      // Not seated at once: it may wait only within the bounds, and only so long.
      if (this.#queue.countFor(user) > policy.queuePerUser || this.#queue.size > policy.queueMax) {
        this.#queue.remove(ticket)
        return waiter.settle(this.#busy())
      }
      timer = setTimeout(() => {
        if (this.#queue.remove(ticket)) resolve(this.#busy())
      }, policy.queueTimeoutMs)
    })
    await this.#schedule()
    return result
  }

  /** A refusal when no origin this request may use is in service, else undefined. */
  #unservable(exclude: ReadonlySet<string>, isFailover: boolean): (AcquireResult & { ok: false }) | undefined {
    const candidates = this.#policy!.origins.filter((o) => !exclude.has(o.url))
    if (candidates.some((o) => this.#breaker.get(o.url).state !== 'open')) return undefined
    const code: RefusalCode = isFailover ? 'no_other_origin' : 'origins_unavailable'
    const nextProbe = Math.min(...candidates.map((o) => this.#breaker.get(o.url).probeAt ?? Infinity))
    return { ok: false, code, retryAfter: clampRetryAfter(Number.isFinite(nextProbe) ? (nextProbe - Date.now()) / 1000 : MAX_RETRY_AFTER_S) }
  }

  #busy(): AcquireResult & { ok: false } {
    const policy = this.#policy!
    const capacity = policy.origins.reduce((n, o) => n + o.concurrency, 0)
    const duration = this.#stats.medianDurationMs() ?? ASSUMED_DURATION_MS
    return { ok: false, code: 'origins_busy', retryAfter: clampRetryAfter(((this.#queue.size + 1) / capacity) * (duration / 1000)) }
  }

  /**
   * Seats due canaries first, then waiters, fairest first, until nothing waiting fits a free slot.
   * It runs on every acquire and release, so its cost is the pool's capacity (docs/SCALE.md): with
   * every slot busy it stops before looking at the queue, and it looks at each waiter's origins
   * only when some origin is out of service.
   */
  #pump(now: number): void {
    const policy = this.#policy
    if (!policy) return
    const inUse = this.#slots.inUse()
    const take = (url: string) => inUse.set(url, (inUse.get(url) ?? 0) + 1)
    for (const url of this.#canaries.due()) {
      const origin = policy.origins.find((o) => o.url === url)
      if (!origin || (inUse.get(url) ?? 0) >= origin.concurrency) continue
      const ticket = `canary:${crypto.randomUUID()}`
      this.#slots.grant({ ticket, origin: url, user: CANARY_USER, grantedAt: now }, now)
      this.#canaries.seat(url, ticket)
      take(url)
    }
    const open = this.#breaker.openOrigins()
    while (this.#queue.size > 0) {
      const withRoom = policy.origins.filter((o) => !open.has(o.url) && (inUse.get(o.url) ?? 0) < o.concurrency)
      if (withRoom.length === 0) break
      const free = (exclude: ReadonlySet<string>) => (exclude.size === 0 ? withRoom : withRoom.filter((o) => !exclude.has(o.url)))
      const waiter = this.#queue.next((w) => free(w.exclude).length > 0)
      if (!waiter) break
      const origin = this.#pickWeighted(free(waiter.exclude))
      this.#slots.grant({ ticket: waiter.ticket, origin: origin.url, user: waiter.user, grantedAt: now }, now)
      take(origin.url)
      waiter.settle({ ok: true, origin: origin.url })
    }
    // Waiters whose every origin has since been taken out would otherwise wait for nothing.
    if (this.#queue.size === 0 || open.size === 0) return
    for (const waiter of this.#queue.all()) {
      if (policy.origins.some((o) => !waiter.exclude.has(o.url) && !open.has(o.url))) continue
      const refusal = this.#unservable(waiter.exclude, waiter.isFailover)
      if (refusal && this.#queue.remove(waiter.ticket)) waiter.settle(refusal)
    }
  }

  /** Smooth weighted round robin over the origins with room: shares follow `weight`, deterministically. */
  #pickWeighted(origins: PoolOrigin[]): PoolOrigin {
    const total = origins.reduce((n, o) => n + o.weight, 0)
    let best = origins[0]!
    for (const o of origins) {
      this.#currentWeight.set(o.url, (this.#currentWeight.get(o.url) ?? 0) + o.weight)
      if (this.#currentWeight.get(o.url)! > this.#currentWeight.get(best.url)!) best = o
    }
    this.#currentWeight.set(best.url, this.#currentWeight.get(best.url)! - total)
    return best
  }

  async #end(ticket: string, report: SlotReport): Promise<void> {
    const lease = this.#slots.take(ticket)
    if (!lease) return
    const now = Date.now()
    const policy = this.#policy!
    if (report.failure) {
      this.#stats.failed(lease.origin, report.failure, now)
      const reason = `${report.failure.code}${report.failure.detail ? ` (${report.failure.detail})` : ''}`
      this.#breaker.failed(lease.origin, policy.breakerFailures, policy.breakerCooldownMs, now, reason)
    } else if (report.suspected) {
      this.#stats.failed(lease.origin, report.suspected, now)
      this.#suspect(lease.origin, report.suspected, now)
    } else if (report.ttfbMs !== undefined) {
      this.#stats.succeeded(lease.origin, report.ttfbMs, now - lease.grantedAt)
      this.#breaker.succeeded(lease.origin)
    }
    this.#pump(now)
    await this.#schedule()
  }

  /**
   * An answer without audio: settled at once by a canary that passed within the cooldown (at most
   * one canary per cooldown, whatever users send), else left pending for the canary it asks for.
   */
  #suspect(origin: string, failure: AttemptFailure, now: number): void {
    const breaker = this.#breaker.get(origin)
    if (breaker.state === 'open') {
      this.#suspicions.add(origin, failure, now, { verdict: 'confirmed', reason: `the origin was already out: ${breaker.reason ?? 'breaker open'}` })
      return
    }
    const canary = this.#canaries.get(origin)
    const recent = canary.lastAt !== null && now - canary.lastAt < this.#policy!.breakerCooldownMs
    if (canary.state === 'idle' && recent && canary.lastOk) {
      this.#suspicions.add(origin, failure, now, {
        verdict: 'cleared',
        reason: `canary passed at ${new Date(canary.lastAt!).toISOString()}, within the cooldown: ${canary.lastDetail}`,
      })
      return
    }
    this.#suspicions.add(origin, failure, now)
    this.#canaries.want(origin)
  }

  /** One alarm for every job: the next lease to lapse, the next probe, a canary to send now. */
  async #schedule(): Promise<void> {
    const now = Date.now()
    const times = [this.#slots.nextExpiry(), this.#breaker.nextProbe(), this.#canaries.hasSeated() ? now : null].filter((t): t is number => t !== null)
    if (times.length === 0) return
    const next = Math.min(...times)
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm()
    if (this.#alarmAt !== null && this.#alarmAt <= next) return
    await this.ctx.storage.setAlarm(next)
    this.#alarmAt = next
  }
}

const clampRetryAfter = (seconds: number) => Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(seconds)))
