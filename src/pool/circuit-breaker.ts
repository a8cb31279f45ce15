import type { BreakerState } from './pool-types'

export interface BreakerRow {
  state: BreakerState
  failures: number
  openedAt: number | null
  probeAt: number | null
}

const CLOSED: BreakerRow = { state: 'closed', failures: 0, openedAt: null, probeAt: null }

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
 */
export class CircuitBreaker {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    sql.exec(`CREATE TABLE IF NOT EXISTS breakers (
      origin TEXT PRIMARY KEY, state TEXT NOT NULL, failures INTEGER NOT NULL,
      opened_at INTEGER, probe_at INTEGER)`)
  }

  get(origin: string): BreakerRow {
    const row = this.#sql
      .exec<{ state: BreakerState; failures: number; opened_at: number | null; probe_at: number | null }>('SELECT state, failures, opened_at, probe_at FROM breakers WHERE origin = ?', origin)
      .toArray()[0]
    return row ? { state: row.state, failures: row.failures, openedAt: row.opened_at, probeAt: row.probe_at } : CLOSED
  }

  /** Audio flowed: closes a half-open breaker and clears the failure count. An open one stays open
   *  (a stream that began before it opened says nothing about now). */
  succeeded(origin: string): void {
    const row = this.get(origin)
    if (row.state === 'open' || (row.state === 'closed' && row.failures === 0)) return
    this.#set(origin, CLOSED)
  }

  /** Counts a failure; returns true when it takes the origin out. */
  failed(origin: string, threshold: number, cooldownMs: number, now: number): boolean {
    const row = this.get(origin)
    if (row.state === 'open') return false
    const failures = row.failures + 1
    if (row.state === 'half_open' || failures >= threshold) {
      this.#set(origin, { state: 'open', failures, openedAt: now, probeAt: now + cooldownMs })
      return true
    }
    this.#set(origin, { ...row, failures })
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
      'INSERT INTO breakers (origin, state, failures, opened_at, probe_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET state = excluded.state, failures = excluded.failures, opened_at = excluded.opened_at, probe_at = excluded.probe_at',
      origin, row.state, row.failures, row.openedAt, row.probeAt,
    )
  }
}
