import type { BreakerState } from './pool-types'
import { migrate } from '../sql/migrations'

export interface BreakerRow {
  state: BreakerState
  failures: number
  /** Users behind the current run of failures (a few are enough to tell one from many). */
  users: string[]
  openedAt: number | null
  probeAt: number | null
}

const CLOSED: BreakerRow = { state: 'closed', failures: 0, users: [], openedAt: null, probeAt: null }
/** A run of failures opens the breaker only if it comes from at least this many users. */
const MIN_FAILING_USERS = 2
const USERS_KEPT = 4

/**
 * One breaker per origin, in the pool's SQLite storage:
 *
 *   closed --(N consecutive failures)--> open --(alarm probe answers)--> half_open
 *   half_open --(the trial request succeeds)--> closed
 *   half_open --(the trial request fails)--> open
 *
 * The probe (see probe.ts) only shows the machine answers HTTP; whether it synthesizes is learnt
 * from the one real request a half-open origin is given, so a machine that answers 200 with empty
 * bodies goes straight back out.
 *
 * A closed breaker opens only when its run of failures comes from at least MIN_FAILING_USERS
 * users: the stock server fails a bad request the same way as a broken model (COSYVOICE.md), so
 * one user's bad requests must not take an origin out for everyone.
 */
export class CircuitBreaker {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'breakers', [
      `CREATE TABLE IF NOT EXISTS breakers (
      origin TEXT PRIMARY KEY, state TEXT NOT NULL, failures INTEGER NOT NULL,
      opened_at INTEGER, probe_at INTEGER)`,
      // The users behind the current run of failures. Objects from before versioning may have the
      // column already: it was added by a check at construction.
      (sql) => {
        const columns = sql.exec<{ name: string }>('PRAGMA table_info(breakers)').toArray()
        if (!columns.some((c) => c.name === 'users')) sql.exec("ALTER TABLE breakers ADD COLUMN users TEXT NOT NULL DEFAULT '[]'")
      },
    ])
  }

  get(origin: string): BreakerRow {
    const row = this.#sql
      .exec<{ state: BreakerState; failures: number; users: string; opened_at: number | null; probe_at: number | null }>('SELECT state, failures, users, opened_at, probe_at FROM breakers WHERE origin = ?', origin)
      .toArray()[0]
    return row ? { state: row.state, failures: row.failures, users: JSON.parse(row.users) as string[], openedAt: row.opened_at, probeAt: row.probe_at } : CLOSED
  }

  /** Audio flowed: closes a half-open breaker and clears the failure count. An open one stays open
   *  (a stream that began before it opened says nothing about now). */
  succeeded(origin: string): void {
    const row = this.get(origin)
    if (row.state === 'open' || (row.state === 'closed' && row.failures === 0)) return
    this.#set(origin, CLOSED)
  }

  /** Counts a failure of `user`'s request; returns true when it takes the origin out. */
  failed(origin: string, threshold: number, cooldownMs: number, now: number, user: string): boolean {
    const row = this.get(origin)
    if (row.state === 'open') return false
    const failures = row.failures + 1
    const users = row.users.includes(user) ? row.users : [...row.users, user].slice(-USERS_KEPT)
    if (row.state === 'half_open' || (failures >= threshold && users.length >= MIN_FAILING_USERS)) {
      this.#set(origin, { state: 'open', failures, users, openedAt: now, probeAt: now + cooldownMs })
      return true
    }
    this.#set(origin, { ...row, failures, users })
    return false
  }

  /** Open origins whose probe is due by `due`. */
  dueForProbe(due: number): string[] {
    return this.#sql.exec<{ origin: string }>("SELECT origin FROM breakers WHERE state = 'open' AND probe_at <= ?", due).toArray().map((r) => r.origin)
  }

  /** Pushes the next probe back before probing, so overlapping alarms never probe twice. */
  probing(origin: string, nextProbeAt: number): void {
    this.#sql.exec("UPDATE breakers SET probe_at = ? WHERE origin = ? AND state = 'open'", nextProbeAt, origin)
  }

  /** A probe answered: one trial request may now go through. */
  probedHealthy(origin: string): void {
    this.#sql.exec("UPDATE breakers SET state = 'half_open', probe_at = NULL WHERE origin = ? AND state = 'open'", origin)
  }

  nextProbe(): number | null {
    return this.#sql.exec<{ next: number | null }>("SELECT MIN(probe_at) AS next FROM breakers WHERE state = 'open'").one().next
  }

  #set(origin: string, row: BreakerRow): void {
    this.#sql.exec(
      'INSERT INTO breakers (origin, state, failures, users, opened_at, probe_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET state = excluded.state, failures = excluded.failures, users = excluded.users, opened_at = excluded.opened_at, probe_at = excluded.probe_at',
      origin, row.state, row.failures, JSON.stringify(row.users), row.openedAt, row.probeAt,
    )
  }
}
