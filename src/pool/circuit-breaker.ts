import { migrate } from '../sql/migrations'
import type { BreakerState } from './pool-types'

export interface BreakerRow {
  state: BreakerState
  /** Consecutive failures that are the origin's own (unreachable, 5xx, no answer in time). */
  failures: number
  openedAt: number | null
  probeAt: number | null
  /** Why it opened (shown to operators while it is open). */
  reason: string | null
}

const CLOSED: BreakerRow = { state: 'closed', failures: 0, openedAt: null, probeAt: null, reason: null }

/**
 * One breaker per origin, in the pool's SQLite storage:
 *
 *   closed --(N consecutive failures of its own, or a failed canary)--> open
 *   open --(its canary passes; tried once per cooldown)--> closed
 *
 * Only evidence against the origin moves it: a failure no request can cause (it could not be
 * reached, answered 5xx, or not in time), or a failed canary (pool/canary.ts), a synthesis known to
 * be good. An answer without audio is never counted here: the stock server gives the same answer to
 * a bad request (docs/ORIGIN-PROTOCOL.md), so it only makes the pool send the canary (origin-pool.ts).
 */
export class CircuitBreaker {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'breakers', [
      `CREATE TABLE IF NOT EXISTS breakers (
      origin TEXT PRIMARY KEY, state TEXT NOT NULL, failures INTEGER NOT NULL,
      opened_at INTEGER, probe_at INTEGER)`,
      // The "failures from at least two users" rule and half-open trials are gone: the canary
      // decides. A half-open origin is open again, its canary due at once.
      (db) => {
        const columns = db.exec<{ name: string }>('PRAGMA table_info(breakers)').toArray()
        if (columns.some((c) => c.name === 'users')) db.exec('ALTER TABLE breakers DROP COLUMN users')
        db.exec('ALTER TABLE breakers ADD COLUMN reason TEXT')
        db.exec("UPDATE breakers SET state = 'open', probe_at = 0 WHERE state = 'half_open'")
      },
    ])
  }

  get(origin: string): BreakerRow {
    const row = this.#sql
      .exec<{ state: BreakerState; failures: number; opened_at: number | null; probe_at: number | null; reason: string | null }>(
        'SELECT state, failures, opened_at, probe_at, reason FROM breakers WHERE origin = ?',
        origin,
      )
      .toArray()[0]
    return row ? { state: row.state, failures: row.failures, openedAt: row.opened_at, probeAt: row.probe_at, reason: row.reason } : CLOSED
  }

  /** Audio flowed: the run of failures is over. An open breaker stays open (the canary reopens it). */
  succeeded(origin: string): void {
    const row = this.get(origin)
    if (row.state === 'closed' && row.failures > 0) this.#set(origin, CLOSED)
  }

  /** Counts a failure of the origin's own; returns true when it takes the origin out. */
  failed(origin: string, threshold: number, cooldownMs: number, now: number, reason: string): boolean {
    const row = this.get(origin)
    if (row.state === 'open') return false
    const failures = row.failures + 1
    if (failures >= threshold) {
      this.#set(origin, { state: 'open', failures, openedAt: now, probeAt: now + cooldownMs, reason: `${failures} failures in a row, the last: ${reason}` })
      return true
    }
    this.#set(origin, { ...row, failures })
    return false
  }

  /** Its canary failed: out now (or out longer, when it was out already). */
  canaryFailed(origin: string, cooldownMs: number, now: number, reason: string): void {
    const row = this.get(origin)
    this.#set(origin, { state: 'open', failures: row.failures, openedAt: row.state === 'open' ? row.openedAt : now, probeAt: now + cooldownMs, reason: `canary failed: ${reason}` })
  }

  /** Its canary passed: back in service. */
  canaryPassed(origin: string): void {
    if (this.get(origin).state === 'open') this.#set(origin, CLOSED)
  }

  /** Open origins whose probe is due by `due`. */
  dueForProbe(due: number): string[] {
    return this.#sql
      .exec<{ origin: string }>("SELECT origin FROM breakers WHERE state = 'open' AND probe_at <= ?", due)
      .toArray()
      .map((r) => r.origin)
  }

  /** Pushes the next probe back as one starts, so overlapping alarms never probe twice. */
  probing(origin: string, nextProbeAt: number): void {
    this.#sql.exec("UPDATE breakers SET probe_at = ? WHERE origin = ? AND state = 'open'", nextProbeAt, origin)
  }

  /** The origins taken out: one query, for the pool's every call (its pump). */
  openOrigins(): Set<string> {
    return new Set(
      this.#sql
        .exec<{ origin: string }>("SELECT origin FROM breakers WHERE state = 'open'")
        .toArray()
        .map((r) => r.origin),
    )
  }

  nextProbe(): number | null {
    return this.#sql.exec<{ next: number | null }>("SELECT MIN(probe_at) AS next FROM breakers WHERE state = 'open'").one().next
  }

  #set(origin: string, row: BreakerRow): void {
    this.#sql.exec(
      'INSERT INTO breakers (origin, state, failures, opened_at, probe_at, reason) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET state = excluded.state, failures = excluded.failures, opened_at = excluded.opened_at, probe_at = excluded.probe_at, reason = excluded.reason',
      origin,
      row.state,
      row.failures,
      row.openedAt,
      row.probeAt,
      row.reason,
    )
  }
}
