import type { AttemptFailure } from './pool-types'
import { migrate } from '../sql/migrations'

const SAMPLES_KEPT = 200
const ERRORS_KEPT = 20

/**
 * What `GET /admin/origins` shows about each origin beyond its breaker: time to first byte over the
 * last 200 syntheses, the last 20 errors, and counts. Bounded tables in the pool's SQLite storage.
 */
export class OriginStats {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'origin_stats', [
      `
      CREATE TABLE IF NOT EXISTS samples (id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, ttfb_ms INTEGER NOT NULL, duration_ms INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS samples_origin ON samples (origin, id);
      CREATE TABLE IF NOT EXISTS errors (id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, at INTEGER NOT NULL, code TEXT NOT NULL, detail TEXT);
      CREATE INDEX IF NOT EXISTS errors_origin ON errors (origin, id);
      CREATE TABLE IF NOT EXISTS counts (origin TEXT PRIMARY KEY, succeeded INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0);
    `,
    ])
  }

  succeeded(origin: string, ttfbMs: number, durationMs: number): void {
    this.#sql.exec('INSERT INTO samples (origin, ttfb_ms, duration_ms) VALUES (?, ?, ?)', origin, Math.round(ttfbMs), Math.round(durationMs))
    this.#sql.exec('DELETE FROM samples WHERE origin = ? AND id <= (SELECT id FROM samples WHERE origin = ? ORDER BY id DESC LIMIT 1 OFFSET ?)', origin, origin, SAMPLES_KEPT)
    this.#count(origin, 'succeeded')
  }

  failed(origin: string, failure: AttemptFailure, now: number): void {
    this.note(origin, failure, now)
    this.#count(origin, 'failed')
  }

  /** Keeps an error for the admin view without counting a failed request (a failed canary). */
  note(origin: string, failure: AttemptFailure, now: number): void {
    this.#sql.exec('INSERT INTO errors (origin, at, code, detail) VALUES (?, ?, ?, ?)', origin, now, failure.code, failure.detail?.slice(0, 300) ?? null)
    this.#sql.exec('DELETE FROM errors WHERE origin = ? AND id <= (SELECT id FROM errors WHERE origin = ? ORDER BY id DESC LIMIT 1 OFFSET ?)', origin, origin, ERRORS_KEPT)
  }

  ttfb(origin: string): { p50: number | null; p95: number | null; samples: number } {
    const values = this.#sql
      .exec<{ v: number }>('SELECT ttfb_ms AS v FROM samples WHERE origin = ? ORDER BY v', origin)
      .toArray()
      .map((r) => r.v)
    return { p50: percentile(values, 50), p95: percentile(values, 95), samples: values.length }
  }

  /** Median length of a synthesis across the pool, to tell a refused client when to come back. */
  medianDurationMs(): number | null {
    const values = this.#sql
      .exec<{ v: number }>('SELECT duration_ms AS v FROM samples ORDER BY v')
      .toArray()
      .map((r) => r.v)
    return percentile(values, 50)
  }

  recentErrors(origin: string): { at: string; code: string; detail: string | null }[] {
    return this.#sql
      .exec<{ at: number; code: string; detail: string | null }>('SELECT at, code, detail FROM errors WHERE origin = ? ORDER BY id DESC', origin)
      .toArray()
      .map((r) => ({ at: new Date(r.at).toISOString(), code: r.code, detail: r.detail }))
  }

  counts(origin: string): { succeeded: number; failed: number } {
    return this.#sql.exec<{ succeeded: number; failed: number }>('SELECT succeeded, failed FROM counts WHERE origin = ?', origin).toArray()[0] ?? { succeeded: 0, failed: 0 }
  }

  #count(origin: string, column: 'succeeded' | 'failed'): void {
    this.#sql.exec(`INSERT INTO counts (origin, ${column}) VALUES (?, 1) ON CONFLICT (origin) DO UPDATE SET ${column} = ${column} + 1`, origin)
  }
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!
}
