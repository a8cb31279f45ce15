import { migrate } from '../sql/migrations'
import type { AttemptFailure, SuspicionStatus, SuspicionVerdict } from './pool-types'

/** Settled suspicions kept per origin for the admin view (pending ones are never dropped). */
const SETTLED_KEPT = 50

/**
 * Failures that may be the request's as much as the origin's (an answer without audio, a broken
 * stream), each waiting for, or settled by, the origin's canary: `cleared` when the canary passed,
 * `confirmed` when it failed. Operators see every verdict with its reason in `GET /admin/origins`.
 */
export class SuspicionLedger {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'suspicions', [
      `CREATE TABLE IF NOT EXISTS suspicions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, at INTEGER NOT NULL, code TEXT NOT NULL,
        detail TEXT, verdict TEXT NOT NULL, reason TEXT, settled_at INTEGER);
      CREATE INDEX IF NOT EXISTS suspicions_origin ON suspicions (origin, verdict, id);
      CREATE TABLE IF NOT EXISTS suspicion_counts (
        origin TEXT PRIMARY KEY, cleared INTEGER NOT NULL DEFAULT 0, confirmed INTEGER NOT NULL DEFAULT 0)`,
    ])
  }

  /** Records a suspicion, already settled when `verdict` is given. */
  add(origin: string, failure: AttemptFailure, now: number, verdict?: { verdict: Exclude<SuspicionVerdict, 'pending'>; reason: string }): void {
    this.#sql.exec(
      'INSERT INTO suspicions (origin, at, code, detail, verdict, reason, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      origin,
      now,
      failure.code,
      failure.detail?.slice(0, 300) ?? null,
      verdict?.verdict ?? 'pending',
      verdict?.reason ?? null,
      verdict ? now : null,
    )
    if (verdict) this.#count(origin, verdict.verdict, 1)
    this.#prune(origin)
  }

  /** Settles every pending suspicion of an origin; returns how many. */
  settle(origin: string, verdict: Exclude<SuspicionVerdict, 'pending'>, reason: string, now: number): number {
    // Counted from RETURNING: rowsWritten counts index entries too.
    const settled = this.#sql
      .exec("UPDATE suspicions SET verdict = ?, reason = ?, settled_at = ? WHERE origin = ? AND verdict = 'pending' RETURNING id", verdict, reason, now, origin)
      .toArray().length
    if (settled > 0) this.#count(origin, verdict, settled)
    this.#prune(origin)
    return settled
  }

  pending(origin: string): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM suspicions WHERE origin = ? AND verdict = 'pending'", origin).one().n
  }

  status(origin: string, recent = SETTLED_KEPT): SuspicionStatus {
    const counts = this.#sql.exec<{ cleared: number; confirmed: number }>('SELECT cleared, confirmed FROM suspicion_counts WHERE origin = ?', origin).toArray()[0]
    const rows = this.#sql
      .exec<{ at: number; code: string; detail: string | null; verdict: SuspicionVerdict; reason: string | null; settled_at: number | null }>(
        'SELECT at, code, detail, verdict, reason, settled_at FROM suspicions WHERE origin = ? ORDER BY id DESC LIMIT ?',
        origin,
        recent,
      )
      .toArray()
    const iso = (t: number) => new Date(t).toISOString()
    return {
      pending: this.pending(origin),
      cleared: counts?.cleared ?? 0,
      confirmed: counts?.confirmed ?? 0,
      recent: rows.map((r) => ({
        at: iso(r.at),
        code: r.code,
        detail: r.detail,
        verdict: r.verdict,
        reason: r.reason,
        settled_at: r.settled_at === null ? null : iso(r.settled_at),
      })),
    }
  }

  #count(origin: string, verdict: 'cleared' | 'confirmed', n: number): void {
    this.#sql.exec(`INSERT INTO suspicion_counts (origin, ${verdict}) VALUES (?, ?) ON CONFLICT (origin) DO UPDATE SET ${verdict} = ${verdict} + excluded.${verdict}`, origin, n)
  }

  #prune(origin: string): void {
    this.#sql.exec(
      "DELETE FROM suspicions WHERE origin = ? AND verdict != 'pending' AND id <= (SELECT id FROM suspicions WHERE origin = ? AND verdict != 'pending' ORDER BY id DESC LIMIT 1 OFFSET ?)",
      origin,
      origin,
      SETTLED_KEPT,
    )
  }
}
