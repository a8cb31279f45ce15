import type { Tier } from '../config/tiers'
import type { AdmitResult, LimitSnapshot, LimitState, SettleOutcome } from './limit-types'
import { LEASE_MS } from '../config/leases'
import { migrate } from '../sql/migrations'

/** `closed`: the account is disabled or deleted (accounts/account-gate.ts); nothing may be stored for it. */
export type StoreReservation = { ok: true } | { ok: false; reason: 'storage_quota'; remaining: number } | { ok: false; reason: 'count' } | { ok: false; reason: 'closed' }

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000

/**
 * A user's limits, exact because one Durable Object serialises every call and each decision is a
 * few synchronous SQLite statements with no await in between.
 *
 * - per minute: a sliding window over admissions (no burst of 2× the limit across a boundary);
 * - per day: successful syntheses in the current UTC day plus those still running. A failure is
 *   refunded when settled, so it never uses quota (one the client walked away from is charged);
 * - concurrency: unexpired leases;
 * - storage: the bytes of every object the user has stored, tracked per object so a repeated
 *   delete cannot give bytes back twice.
 */
export class UsageLedger {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'usage', [
      `
      CREATE TABLE IF NOT EXISTS admissions (at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS admissions_at ON admissions (at);
      CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, request_id TEXT, admitted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS daily (day INTEGER PRIMARY KEY, succeeded INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS stored (key TEXT PRIMARY KEY, bytes INTEGER NOT NULL);
    `,
    ])
  }

  admit(tier: Tier, requestId: string, now: number): AdmitResult {
    this.expire(now)
    const limits = this.snapshot(tier, now)
    const refuse = (code: Extract<AdmitResult, { ok: false }>['code'], state: LimitState) => ({ ok: false as const, code, retryAfter: Math.max(1, state.resetSeconds), limits })
    if (limits.storage.remaining !== null && limits.storage.remaining <= 0) return refuse('storage_quota', limits.storage)
    if (limits.minute.remaining !== null && limits.minute.remaining <= 0) return refuse('rate_limited', limits.minute)
    if (limits.day.remaining !== null && limits.day.remaining <= 0) return refuse('daily_quota', limits.day)
    if (limits.concurrency.remaining !== null && limits.concurrency.remaining <= 0) return refuse('concurrency', limits.concurrency)
    const reservation = crypto.randomUUID()
    if (tier.perMinute !== null) this.#sql.exec('INSERT INTO admissions (at) VALUES (?)', now)
    this.#sql.exec('INSERT INTO leases (id, request_id, admitted_at, expires_at) VALUES (?, ?, ?, ?)', reservation, requestId, now, now + LEASE_MS)
    return { ok: true, reservation, limits: this.snapshot(tier, now) }
  }

  /** A synthesis whose client left before its answer could be read: its lease, if any, ends uncharged. */
  abandon(requestId: string): void {
    this.#sql.exec('DELETE FROM leases WHERE request_id = ?', requestId)
  }

  /** Extends a running synthesis' lease. False if it had already lapsed. */
  renew(reservation: string, now: number): boolean {
    return this.#sql.exec('UPDATE leases SET expires_at = ? WHERE id = ?', now + LEASE_MS, reservation).rowsWritten > 0
  }

  /** Ends a synthesis: frees its slot; charges the day and the storage only if it succeeded. */
  settle(reservation: string, outcome: SettleOutcome, now: number): void {
    const lease = this.#sql.exec<{ admitted_at: number }>('DELETE FROM leases WHERE id = ? RETURNING admitted_at', reservation).toArray()[0]
    if (!outcome.ok && !outcome.charge) return
    // Charged to the day it was admitted in, like the reservation it replaces.
    const day = Math.floor((lease?.admitted_at ?? now) / DAY_MS)
    this.#sql.exec('INSERT INTO daily (day, succeeded) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET succeeded = succeeded + 1', day)
    if (outcome.ok) this.addStored(outcome.storedKey, outcome.bytes)
  }

  /**
   * Counts an object about to be stored, if it fits: within the storage quota and, when
   * `maxUnderPrefix` is given, within that many objects under `prefix` (a tier's voice cap). Check
   * and count are one synchronous step, so concurrent uploads cannot overshoot.
   */
  reserveStored(key: string, bytes: number, tier: Tier, cap?: { prefix: string; max: number }): StoreReservation {
    const stored = this.#sql.exec<{ total: number | null }>('SELECT SUM(bytes) AS total FROM stored').one().total ?? 0
    if (tier.storageBytes !== null && stored + bytes > tier.storageBytes) return { ok: false, reason: 'storage_quota', remaining: Math.max(0, tier.storageBytes - stored) }
    if (cap) {
      const n = this.#sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM stored WHERE substr(key, 1, ?) = ?', cap.prefix.length, cap.prefix).one().n
      if (n >= cap.max) return { ok: false, reason: 'count' }
    }
    this.addStored(key, bytes)
    return { ok: true }
  }

  addStored(key: string, bytes: number): void {
    this.#sql.exec('INSERT INTO stored (key, bytes) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET bytes = excluded.bytes', key, bytes)
  }

  /** Gives back a deleted object's bytes; returns how many (0 if it was not counted). */
  removeStored(key: string): number {
    return this.#sql.exec<{ bytes: number }>('DELETE FROM stored WHERE key = ? RETURNING bytes', key).toArray()[0]?.bytes ?? 0
  }

  snapshot(tier: Tier, now: number): LimitSnapshot {
    const sql = this.#sql
    const minuteRows = sql.exec<{ n: number; oldest: number | null }>('SELECT COUNT(*) AS n, MIN(at) AS oldest FROM admissions WHERE at > ?', now - MINUTE_MS).one()
    const today = Math.floor(now / DAY_MS)
    const succeeded = sql.exec<{ succeeded: number }>('SELECT succeeded FROM daily WHERE day = ?', today).toArray()[0]?.succeeded ?? 0
    const leases = sql.exec<{ n: number; next: number | null }>('SELECT COUNT(*) AS n, MIN(expires_at) AS next FROM leases').one()
    const storedBytes = sql.exec<{ total: number | null }>('SELECT SUM(bytes) AS total FROM stored').one().total ?? 0
    const state = (limit: number | null, used: number, resetMs: number): LimitState => ({
      limit,
      used,
      remaining: limit === null ? null : Math.max(0, limit - used),
      resetSeconds: Math.max(0, Math.ceil(resetMs / 1000)),
    })
    return {
      minute: state(tier.perMinute, minuteRows.n, minuteRows.oldest === null ? 0 : minuteRows.oldest + MINUTE_MS - now),
      day: state(tier.perDay, succeeded + leases.n, (today + 1) * DAY_MS - now),
      concurrency: state(tier.concurrency, leases.n, leases.n === 0 ? 0 : Math.min(LEASE_MS, Math.max(1000, (leases.next ?? now) - now))),
      storage: state(tier.storageBytes, storedBytes, 0),
    }
  }

  /** When the next lease lapses, for the object's alarm. */
  nextExpiry(): number | null {
    return this.#sql.exec<{ next: number | null }>('SELECT MIN(expires_at) AS next FROM leases').one().next
  }

  /** Drops lapsed leases (a Worker that died) and counts too old to matter. */
  expire(now: number): void {
    this.#sql.exec('DELETE FROM leases WHERE expires_at <= ?', now)
    this.#sql.exec('DELETE FROM admissions WHERE at <= ?', now - MINUTE_MS)
    this.#sql.exec('DELETE FROM daily WHERE day < ?', Math.floor(now / DAY_MS) - 1)
  }
}
