import { migrate, type MigrationStep } from '../sql/migrations'

/**
 * How many failed logins a bucket allows, and how fast. Never a fixed lock: past `free` failures
 * each further attempt waits a delay that doubles with every failure (from `firstDelayMs` up to
 * `maxDelayMs`), and whatever the delays, at most `ceiling` failures count in any `windowMs`.
 */
export interface GuessPolicy {
  free: number
  firstDelayMs: number
  maxDelayMs: number
  ceiling: number
  windowMs: number
}

const HOUR_MS = 3_600_000

/**
 * A username's guesses from clients that are not its trusted devices, from every address together.
 * 5 free, then 2 s, 4 s, 8 s … 60 s between guesses, and never more than 20 in an hour: a guess
 * spread over any number of addresses gets at most 20 an hour. Strangers can hold this bucket at
 * its ceiling; the owner's trusted devices do not use it.
 */
export const UNTRUSTED_CLIENTS: GuessPolicy = { free: 5, firstDelayMs: 2000, maxDelayMs: 60_000, ceiling: 20, windowMs: HOUR_MS }

/**
 * One trusted device of a username (accounts/device-token.ts): its own allowance, the same shape as the
 * untrusted bucket's, so a stolen device token is worth no more guesses than a stranger gets.
 */
export const TRUSTED_DEVICE: GuessPolicy = { free: 5, firstDelayMs: 2000, maxDelayMs: 60_000, ceiling: 20, windowMs: HOUR_MS }

/** One client address trying usernames it is no trusted device of (spraying): 20 free, then 2 s doubling up to 5 min, at most 100 an hour. */
export const CLIENT_ADDRESS: GuessPolicy = { free: 20, firstDelayMs: 2000, maxDelayMs: 300_000, ceiling: 100, windowMs: HOUR_MS }

/** The longest window of any policy: older failures are forgotten. */
const LONGEST_WINDOW_MS = HOUR_MS

export type ThrottleResult = { ok: true; attempt: string } | { ok: false; retryAfter: number }

/** What became of an attempt: `refused` means it was stopped elsewhere before any password was checked. */
export type AttemptOutcome = 'succeeded' | 'failed' | 'refused'

const SCHEMA: readonly MigrationStep[] = [
  // 1: the table as it was before versioning (verbatim).
  'CREATE TABLE IF NOT EXISTS login_attempts (id TEXT PRIMARY KEY, at INTEGER NOT NULL)',
  // 2: one table, several buckets (a username's untrusted clients, each trusted device, an
  // address). Rows from before were the username's failures, from any client.
  `ALTER TABLE login_attempts ADD COLUMN bucket TEXT NOT NULL DEFAULT 'untrusted';
   CREATE INDEX IF NOT EXISTS login_attempts_bucket ON login_attempts (bucket, at);`,
]

/**
 * Failed logins per bucket, in the Durable Object of whatever is throttled (the username's user
 * object; an address's LoginAddressObject, accounts/login-address-object.ts). Exact under concurrency: an attempt is counted as a
 * failure *before* the password is checked and only taken back when it succeeds (or was refused
 * elsewhere), so N parallel guesses cannot all slip in under the limit.
 */
export class LoginThrottle {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'login_attempts', SCHEMA)
  }

  begin(bucket: string, policy: GuessPolicy, now: number): ThrottleResult {
    this.#sql.exec('DELETE FROM login_attempts WHERE at <= ?', now - LONGEST_WINDOW_MS)
    const times = this.#sql
      .exec<{ at: number }>('SELECT at FROM login_attempts WHERE bucket = ? AND at > ? ORDER BY at', bucket, now - policy.windowMs)
      .toArray()
      .map((r) => r.at)
    const allowedAt = nextAllowed(times, policy)
    if (allowedAt > now) return { ok: false, retryAfter: Math.max(1, Math.ceil((allowedAt - now) / 1000)) }
    const attempt = crypto.randomUUID()
    this.#sql.exec('INSERT INTO login_attempts (id, at, bucket) VALUES (?, ?, ?)', attempt, now, bucket)
    return { ok: true, attempt }
  }

  /**
   * Settles an attempt: a failure stays counted; a success or a refusal is taken back. With
   * `forgetBucket`, a success also clears its bucket's failures (a trusted device's own typos).
   */
  settle(attempt: string, outcome: AttemptOutcome, forgetBucket = false): void {
    if (outcome === 'failed') return
    const row = this.#sql.exec<{ bucket: string }>('DELETE FROM login_attempts WHERE id = ? RETURNING bucket', attempt).toArray()[0]
    if (row && outcome === 'succeeded' && forgetBucket) this.#sql.exec('DELETE FROM login_attempts WHERE bucket = ?', row.bucket)
  }
}

/**
 * When the next attempt may start, given the bucket's failure times in the window (ascending):
 * after the growing delay since the latest failure, and once enough failures have left the window
 * to be under the ceiling.
 */
export function nextAllowed(times: readonly number[], policy: GuessPolicy): number {
  const n = times.length
  if (n < policy.free) return 0
  const delay = Math.min(policy.firstDelayMs * 2 ** (n - policy.free), policy.maxDelayMs)
  let allowedAt = times[n - 1]! + delay
  if (n >= policy.ceiling) allowedAt = Math.max(allowedAt, times[n - policy.ceiling]! + policy.windowMs)
  return allowedAt
}
