import { migrate } from '../sql/migrations'

/** Where a login session came from, for the user's list of their sessions. */
export interface SessionOrigin {
  /** The User-Agent at login, cut to 200 characters: how a person recognises "the laptop". */
  userAgent: string | null
}

export interface SessionDetails extends SessionOrigin {
  createdAt: number
  /** The last login or refresh of the session (access tokens are checked without a write). */
  lastUsedAt: number
}

const MAX_USER_AGENT_CHARS = 200

/**
 * What a user's list of sessions shows beyond the session ledger's own rows (session-ledger.ts:
 * how its tokens are held): when it began, when it was last refreshed, and from what client. Kept beside, not inside, the session
 * ledger, in the same Durable Object; a row outlives its session by nothing (pruned by expiry).
 */
export class SessionInfo {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'session_info', [
      `CREATE TABLE IF NOT EXISTS session_info (
        id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        user_agent TEXT)`,
    ])
  }

  record(id: string, origin: SessionOrigin, expiresAt: number, now: number): void {
    this.#sql.exec('DELETE FROM session_info WHERE expires_at <= ?', now)
    this.#sql.exec(
      'INSERT OR REPLACE INTO session_info (id, created_at, last_used_at, expires_at, user_agent) VALUES (?, ?, ?, ?, ?)',
      id,
      now,
      now,
      expiresAt,
      origin.userAgent?.slice(0, MAX_USER_AGENT_CHARS) ?? null,
    )
  }

  touch(id: string, now: number): void {
    this.#sql.exec('UPDATE session_info SET last_used_at = ? WHERE id = ?', now, id)
  }

  details(ids: readonly string[]): Map<string, SessionDetails> {
    const found = new Map<string, SessionDetails>()
    if (!ids.length) return found
    const rows = this.#sql
      .exec<{ id: string; created_at: number; last_used_at: number; user_agent: string | null }>(
        `SELECT id, created_at, last_used_at, user_agent FROM session_info WHERE id IN (${ids.map(() => '?').join(',')})`,
        ...ids,
      )
      .toArray()
    for (const r of rows) found.set(r.id, { createdAt: r.created_at, lastUsedAt: r.last_used_at, userAgent: r.user_agent })
    return found
  }
}
