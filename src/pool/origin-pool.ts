import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'
import { CircuitBreaker } from './circuit-breaker'
import { FairQueue, type Waiting } from './fair-queue'
import { OriginStats } from './origin-stats'
import type { AcquireResult, BreakerState, PoolPolicy, PoolStatus, RefusalCode, SlotReport } from './pool-types'
import { probeOrigin } from './probe'
import { SlotLedger } from './slot-ledger'
import { migrate } from '../sql/migrations'

/** Until the pool has seen syntheses finish, a refusal assumes one takes this long. */
const ASSUMED_DURATION_MS = 5_000
const MAX_RETRY_AFTER_S = 60

interface Waiter extends Waiting {
  settle(result: AcquireResult): void
}

type PoolOrigin = PoolPolicy['origins'][number]

/**
 * Admission to the GPU machines: grants slots so that no origin ever runs more syntheses than its
 * `concurrency`, queues the rest fairly across users, and takes failing origins out.
 *
 * One object for the whole pool (named by a hash of ORIGINS, pool-client.ts), not one per origin:
 * fairness and failover are decisions across origins ("which user is next, on which machine that
 * has a free slot and that this request has not failed on"), and with one object per origin the
 * queue would have to live somewhere else and pay a second round trip to learn which origin has
 * room. One object is not the bottleneck it looks like: it serialises a few SQLite statements per
 * synthesis, thousands per second, while the GPUs it guards run a handful of multi-second
 * syntheses at a time (COSYVOICE.md). The cost is that a pool lives in one location; the Worker
 * reaches it in one round trip to acquire and one to release.
 *
 * Slots are leases in SQLite (slot-ledger.ts) and expire by the alarm if a Worker dies; breakers
 * and statistics are in SQLite too. The queue is in memory: its entries are pending `acquire` RPC
 * calls, which keep the object alive and cannot outlive it anyway.
 */
export class OriginPool extends DurableObject<Env> {
  readonly #slots: SlotLedger
  readonly #breaker: CircuitBreaker
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
    this.#stats = new OriginStats(sql)
    // The alarm needs the origins after a restart, before any Worker has called.
    migrate(sql, 'pool_policy', ['CREATE TABLE IF NOT EXISTS policy (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)'])
    const stored = sql.exec<{ json: string }>('SELECT json FROM policy').toArray()[0]
    if (stored) this.#adopt(JSON.parse(stored.json) as PoolPolicy)
  }

  /**
   * Hot path, one round trip: a slot on an origin, now or after waiting in the fair queue, or a
   * refusal. `ticket` names the slot in every later call (release, renew, cancel, failover).
   */
  async acquire(policy: PoolPolicy, ticket: string, user: string): Promise<AcquireResult> {
    this.#adopt(policy)
    return this.#enqueue(ticket, user, new Set())
  }

  /**
   * The attempt on this ticket's origin failed before any audio: records it, frees the slot and
   * waits for a slot on an origin not in `tried`. One round trip instead of release + acquire.
   */
  async failover(ticket: string, user: string, report: SlotReport, tried: string[]): Promise<AcquireResult> {
    // A suspected failure with no other origin to prove it counts as one: a lone origin that
    // answers everyone with no audio must still be taken out (the breaker wants several users).
    const lastResort = report.suspected && this.#unservable(new Set(tried)) !== undefined
    await this.#end(ticket, lastResort ? { failure: report.suspected } : report)
    return this.#enqueue(ticket, user, new Set(tried))
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
        return {
          url: o.url,
          name: o.name,
          concurrency: o.concurrency,
          weight: o.weight,
          state: breaker.state,
          in_flight: inUse.get(o.url)?.count ?? 0,
          consecutive_failures: breaker.failures,
          opened_at: breaker.state === 'closed' ? null : iso(breaker.openedAt),
          next_probe_at: breaker.state === 'open' ? iso(breaker.probeAt) : null,
          ...this.#stats.counts(o.url),
          ttfb_ms: this.#stats.ttfb(o.url),
          recent_errors: this.#stats.recentErrors(o.url),
        }
      }),
      queue: { waiting: this.#queue.size, users: this.#queue.users, limit: policy.queueMax, per_user_limit: policy.queuePerUser, timeout_ms: policy.queueTimeoutMs },
    }
  }

  /** Frees the slots of Workers that died, and probes the origins whose cooldown is over. */
  override async alarm(): Promise<void> {
    const now = Date.now()
    // An alarm that runs is the time it was set for: what it was set to do is due (tests trigger
    // alarms early; in production they never run before their time).
    const due = Math.max(now, this.#alarmAt ?? now)
    this.#alarmAt = null
    this.#slots.expire(now)
    const policy = this.#policy
    if (policy) {
      const probes = this.#breaker.dueForProbe(due).filter((url) => policy.origins.some((o) => o.url === url))
      for (const url of probes) this.#breaker.probing(url, now + policy.breakerCooldownMs)
      await Promise.all(
        probes.map(async (url) => {
          const result = await probeOrigin(url, this.env.ORIGIN_SECRET)
          if (result.healthy) this.#breaker.probedHealthy(url)
          else this.#stats.note(url, { code: 'probe_failed', detail: result.detail }, Date.now())
        }),
      )
      this.#pump(Date.now())
    }
    await this.#schedule()
  }

  #adopt(policy: PoolPolicy): void {
    const json = JSON.stringify(policy)
    if (json === this.#policyJson) return
    this.#policy = policy
    this.#policyJson = json
    this.ctx.storage.sql.exec('INSERT OR REPLACE INTO policy (id, json) VALUES (1, ?)', json)
  }

  async #enqueue(ticket: string, user: string, exclude: ReadonlySet<string>): Promise<AcquireResult> {
    const policy = this.#policy!
    const now = Date.now()
    this.#slots.expire(now)
    const refusal = this.#unservable(exclude)
    if (refusal) return refusal
    const result = new Promise<AcquireResult>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const waiter: Waiter = {
        ticket,
        user,
        exclude,
        arrival: this.#arrivals++,
        settle: (r) => {
          if (timer !== undefined) clearTimeout(timer)
          resolve(r)
        },
      }
      this.#queue.push(waiter)
      this.#pump(now)
      if (!this.#queue.all().includes(waiter)) return
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
  #unservable(exclude: ReadonlySet<string>): (AcquireResult & { ok: false }) | undefined {
    const candidates = this.#policy!.origins.filter((o) => !exclude.has(o.url))
    if (candidates.some((o) => this.#breaker.get(o.url).state !== 'open')) return undefined
    const code: RefusalCode = exclude.size > 0 ? 'no_other_origin' : 'origins_unavailable'
    const nextProbe = Math.min(...candidates.map((o) => this.#breaker.get(o.url).probeAt ?? Infinity))
    return { ok: false, code, retryAfter: clampRetryAfter(Number.isFinite(nextProbe) ? (nextProbe - Date.now()) / 1000 : MAX_RETRY_AFTER_S) }
  }

  #busy(): AcquireResult & { ok: false } {
    const policy = this.#policy!
    const capacity = policy.origins.reduce((n, o) => n + o.concurrency, 0)
    const duration = this.#stats.medianDurationMs() ?? ASSUMED_DURATION_MS
    return { ok: false, code: 'origins_busy', retryAfter: clampRetryAfter(((this.#queue.size + 1) / capacity) * (duration / 1000)) }
  }

  /** Seats waiters on free slots, fairest first, until no waiter fits any free slot. */
  #pump(now: number): void {
    const policy = this.#policy
    if (!policy) return
    const inUse = this.#slots.inUse()
    const states = new Map(policy.origins.map((o) => [o.url, this.#breaker.get(o.url).state]))
    const free = (exclude: ReadonlySet<string>) => policy.origins.filter((o) => !exclude.has(o.url) && hasRoom(o, states.get(o.url)!, inUse.get(o.url)))
    for (;;) {
      const waiter = this.#queue.next((w) => free(w.exclude).length > 0)
      if (!waiter) break
      const origin = this.#pickWeighted(free(waiter.exclude))
      const trial = states.get(origin.url) === 'half_open'
      this.#slots.grant({ ticket: waiter.ticket, origin: origin.url, user: waiter.user, trial, grantedAt: now }, now)
      const used = inUse.get(origin.url) ?? { count: 0, trial: false }
      inUse.set(origin.url, { count: used.count + 1, trial: used.trial || trial })
      waiter.settle({ ok: true, origin: origin.url, trial })
    }
    // Waiters whose every origin has since been taken out would otherwise wait for nothing.
    for (const waiter of this.#queue.all()) {
      const refusal = this.#unservable(waiter.exclude)
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
      this.#breaker.failed(lease.origin, policy.breakerFailures, policy.breakerCooldownMs, now, lease.user)
    } else if (report.suspected) {
      // Shown to operators at once; held against the origin only when proven (`blame`, above).
      this.#stats.failed(lease.origin, report.suspected, now)
    } else if (report.ttfbMs !== undefined) {
      this.#stats.succeeded(lease.origin, report.ttfbMs, now - lease.grantedAt)
      this.#breaker.succeeded(lease.origin)
    }
    if (report.blame && policy.origins.some((o) => o.url === report.blame!.origin)) {
      this.#breaker.failed(report.blame.origin, policy.breakerFailures, policy.breakerCooldownMs, now, lease.user)
    }
    this.#pump(now)
    await this.#schedule()
  }

  /** One alarm for both jobs: the next lease to lapse and the next probe. */
  async #schedule(): Promise<void> {
    const times = [this.#slots.nextExpiry(), this.#breaker.nextProbe()].filter((t): t is number => t !== null)
    if (times.length === 0) return
    const next = Math.min(...times)
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm()
    if (this.#alarmAt !== null && this.#alarmAt <= next) return
    await this.ctx.storage.setAlarm(next)
    this.#alarmAt = next
  }
}

function hasRoom(origin: PoolOrigin, state: BreakerState, used: { count: number; trial: boolean } | undefined): boolean {
  const count = used?.count ?? 0
  if (state === 'open') return false
  // Half-open: one trial at a time shows whether the origin synthesizes again.
  if (state === 'half_open') return !used?.trial && count < origin.concurrency
  return count < origin.concurrency
}

const clampRetryAfter = (seconds: number) => Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(seconds)))
