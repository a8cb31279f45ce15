import { migrate } from '../sql/migrations'

/** How many failed logins a window allows before answering 429. */
export interface ThrottlePolicy {
  maxFailures: number
  windowMs: number
}

/** Per username: a guessing attack on one account stops after 5 tries per 15 minutes. */
export const PER_USERNAME: ThrottlePolicy = { maxFailures: 5, windowMs: 15 * 60_000 }
/** Per client IP: one address spraying many usernames stops after 20 failures per 15 minutes. */
export const PER_IP: ThrottlePolicy = { maxFailures: 20, windowMs: 15 * 60_000 }

export type ThrottleResult = { ok: true; attempt: string } | { ok: false; retryAfter: number }

/**
 * Failed logins in a sliding window, in the Durable Object of whatever is being throttled (the
 * username's user object, or the client IP's). Exact under concurrency: an attempt is counted as a
 * failure *before* the password is checked and only taken back when it succeeds, so N parallel
 * guesses cannot all slip in under the limit.
 */
export class LoginThrottle {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'login_throttle', ['CREATE TABLE IF NOT EXISTS login_attempts (id TEXT PRIMARY KEY, at INTEGER NOT NULL)'])
  }

  begin(policy: ThrottlePolicy, now: number): ThrottleResult {
    this.#sql.exec('DELETE FROM login_attempts WHERE at <= ?', now - policy.windowMs)
    const rows = this.#sql.exec<{ at: number }>('SELECT at FROM login_attempts ORDER BY at').toArray()
    if (rows.length >= policy.maxFailures) {
      // The window frees a slot when the oldest counted failure leaves it.
      const oldest = rows[rows.length - policy.maxFailures]!.at
      return { ok: false, retryAfter: Math.max(1, Math.ceil((oldest + policy.windowMs - now) / 1000)) }
    }
    const attempt = crypto.randomUUID()
    this.#sql.exec('INSERT INTO login_attempts (id, at) VALUES (?, ?)', attempt, now)
    return { ok: true, attempt }
  }

  /** A correct password: the attempt was not a failure. `forgetAll` clears the account's record. */
  succeeded(attempt: string, forgetAll: boolean): void {
    if (forgetAll) this.#sql.exec('DELETE FROM login_attempts')
    else this.#sql.exec('DELETE FROM login_attempts WHERE id = ?', attempt)
  }
}
