import { DurableObject } from 'cloudflare:workers'
import type { Tier } from '../config/tiers'
import type { Env } from '../env'
import type { AdmitResult, LimitSnapshot, SettleOutcome } from '../limits/limit-types'
import { UsageLedger } from '../limits/usage-ledger'
import { AuditLog, type AuditEntry } from '../audit/audit-log'

/**
 * One per user (named by the user key, auth/user-key.ts): the single place where that user's
 * counters are exact, worldwide. Each concern keeps its own tables in the object's SQLite storage
 * and is a plain class over `SqlStorage`; this class is the RPC surface and the alarm.
 *
 * The ledgers are `#private`: TypeScript `private` is only a type annotation, and anything public
 * on a Durable Object can be called over RPC.
 */
export class UserObject extends DurableObject<Env> {
  readonly #usage: UsageLedger
  readonly #audit: AuditLog

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.#usage = new UsageLedger(ctx.storage.sql)
    this.#audit = new AuditLog(ctx.storage.sql)
  }

  // --- audit trail ---

  recordAudit(entry: AuditEntry): void {
    this.#audit.record(entry)
  }

  listAudit(limit: number, before?: number) {
    return this.#audit.list(limit, before)
  }

  // --- limits ---

  /** Hot path, one round trip: check every limit and reserve a slot for one synthesis. */
  async admit(tier: Tier, requestId: string): Promise<AdmitResult> {
    const result = this.#usage.admit(tier, requestId, Date.now())
    if (result.ok) await this.#scheduleExpiry()
    return result
  }

  async renew(reservation: string): Promise<boolean> {
    const renewed = this.#usage.renew(reservation, Date.now())
    if (renewed) await this.#scheduleExpiry()
    return renewed
  }

  /** The end of a synthesis, whatever happened: frees the slot, charges only a success. */
  settle(reservation: string, outcome: SettleOutcome, tier: Tier): LimitSnapshot {
    this.#usage.settle(reservation, outcome, Date.now())
    return this.#usage.snapshot(tier, Date.now())
  }

  usage(tier: Tier): LimitSnapshot {
    this.#usage.expire(Date.now())
    return this.#usage.snapshot(tier, Date.now())
  }

  /** Counts an object stored outside a synthesis (a voice upload) against the storage quota. */
  addStored(key: string, bytes: number): void {
    this.#usage.addStored(key, bytes)
  }

  /** Gives back a deleted object's bytes. */
  removeStored(key: string): number {
    return this.#usage.removeStored(key)
  }

  /** Frees the slots of syntheses whose Worker died without settling. */
  override async alarm(): Promise<void> {
    this.#usage.expire(Date.now())
    await this.#scheduleExpiry()
  }

  async #scheduleExpiry(): Promise<void> {
    const next = this.#usage.nextExpiry()
    if (next === null) return
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > next) await this.ctx.storage.setAlarm(next)
  }
}
