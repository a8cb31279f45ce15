import { migrate } from '../sql/migrations'

/**
 * idle: nothing wanted. due: wanted, waiting for a free slot on the origin. seated: holds a slot,
 * waiting for the alarm to send it. running: sent, waiting for the answer.
 */
export type CanaryState = 'idle' | 'due' | 'seated' | 'running'

export interface CanaryRow {
  state: CanaryState
  /** The slot lease while seated or running. */
  ticket: string | null
  lastAt: number | null
  lastOk: boolean | null
  lastDetail: string | null
  passed: number
  failed: number
}

const IDLE: CanaryRow = { state: 'idle', ticket: null, lastAt: null, lastOk: null, lastDetail: null, passed: 0, failed: 0 }

/** Each origin's canary (pool/canary.ts): whether one is wanted or under way, and how the last went. */
export class CanaryLedger {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'canaries', [
      `CREATE TABLE IF NOT EXISTS canaries (
        origin TEXT PRIMARY KEY, state TEXT NOT NULL, ticket TEXT, last_at INTEGER, last_ok INTEGER,
        last_detail TEXT, passed INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0)`,
    ])
  }

  get(origin: string): CanaryRow {
    const row = this.#sql
      .exec<{ state: CanaryState; ticket: string | null; last_at: number | null; last_ok: number | null; last_detail: string | null; passed: number; failed: number }>(
        'SELECT state, ticket, last_at, last_ok, last_detail, passed, failed FROM canaries WHERE origin = ?',
        origin,
      )
      .toArray()[0]
    if (!row) return IDLE
    return {
      state: row.state,
      ticket: row.ticket,
      lastAt: row.last_at,
      lastOk: row.last_ok === null ? null : row.last_ok === 1,
      lastDetail: row.last_detail,
      passed: row.passed,
      failed: row.failed,
    }
  }

  /** Asks for a canary (nothing changes when one is already wanted or under way). */
  want(origin: string): void {
    this.#sql.exec("INSERT INTO canaries (origin, state) VALUES (?, 'due') ON CONFLICT (origin) DO UPDATE SET state = 'due' WHERE state = 'idle'", origin)
  }

  /** Origins whose canary waits for a slot. */
  due(): string[] {
    return this.#sql
      .exec<{ origin: string }>("SELECT origin FROM canaries WHERE state = 'due'")
      .toArray()
      .map((r) => r.origin)
  }

  seat(origin: string, ticket: string): void {
    this.#sql.exec("UPDATE canaries SET state = 'seated', ticket = ? WHERE origin = ? AND state = 'due'", ticket, origin)
  }

  /** Seated canaries, now marked running: each is sent exactly once. */
  start(): { origin: string; ticket: string }[] {
    return this.#sql.exec<{ origin: string; ticket: string }>("UPDATE canaries SET state = 'running' WHERE state = 'seated' RETURNING origin, ticket").toArray()
  }

  hasSeated(): boolean {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM canaries WHERE state = 'seated'").one().n > 0
  }

  finish(origin: string, ok: boolean, detail: string, startedAt: number): void {
    this.#sql.exec(
      `UPDATE canaries SET state = 'idle', ticket = NULL, last_at = ?, last_ok = ?, last_detail = ?, ${ok ? 'passed = passed + 1' : 'failed = failed + 1'} WHERE origin = ?`,
      startedAt,
      ok ? 1 : 0,
      detail.slice(0, 300),
      origin,
    )
  }

  /**
   * After a restart: canaries that were seated or running died with the old instance. They are due
   * again; returns their tickets, whose slots are to be freed.
   */
  recoverInterrupted(): string[] {
    const tickets = this.#sql
      .exec<{ ticket: string | null }>("SELECT ticket FROM canaries WHERE state IN ('seated', 'running')")
      .toArray()
      .flatMap((r) => (r.ticket ? [r.ticket] : []))
    this.#sql.exec("UPDATE canaries SET state = 'due', ticket = NULL WHERE state IN ('seated', 'running')")
    return tickets
  }
}
