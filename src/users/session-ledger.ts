import type { RevocationLedger } from './revocation-ledger'
import { migrate } from '../sql/migrations'

export interface NewSession {
  id: string
  sub: string
  /** When the user typed their password, seconds: carried into every refreshed token. */
  authTime: number
  /** End of the whole family, ms: refreshing never extends it. */
  expiresAt: number
  refreshHash: string
  access: IssuedAccess
}

export interface IssuedAccess {
  jti: string
  /** ms */
  expiresAt: number
}

export type RotateResult =
  | { ok: true; session: string; sub: string; authTime: number; expiresAt: number }
  /** `revokedJtis`: access tokens killed with the family (reuse), for the isolate's cache. */
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused'; revokedJtis: string[] }

/**
 * Login sessions as refresh-token families (OAuth 2.0 Security BCP, RFC 9700 §4.14.2): each
 * refresh spends the presented token and issues the next one of the same family. Presenting a
 * spent token means two parties hold the family (a thief and the user), so the whole family is
 * revoked, with every access token issued in it.
 *
 * Only SHA-256 hashes of refresh tokens are stored: a copy of this database cannot be replayed.
 */
export class SessionLedger {
  readonly #sql: SqlStorage
  readonly #revocations: RevocationLedger

  constructor(sql: SqlStorage, revocations: RevocationLedger) {
    this.#sql = sql
    this.#revocations = revocations
    migrate(sql, 'sessions', [
      `
      CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, sub TEXT NOT NULL, auth_time INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS refresh_tokens (hash TEXT PRIMARY KEY, session TEXT NOT NULL, spent INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS refresh_tokens_session ON refresh_tokens (session);
      CREATE TABLE IF NOT EXISTS session_access (jti TEXT PRIMARY KEY, session TEXT NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS session_access_session ON session_access (session);
    `,
      // When a refresh token was spent (for the cookie grace period). Objects from before versioning
      // may have the column already: it was added by a check at construction.
      (sql) => {
        const columns = sql.exec<{ name: string }>('PRAGMA table_info(refresh_tokens)').toArray()
        if (!columns.some((c) => c.name === 'spent_at')) sql.exec('ALTER TABLE refresh_tokens ADD COLUMN spent_at INTEGER')
      },
    ])
  }

  start(s: NewSession, now: number): void {
    this.#prune(now)
    this.#sql.exec('INSERT INTO sessions (id, sub, auth_time, expires_at) VALUES (?, ?, ?, ?)', s.id, s.sub, s.authTime, s.expiresAt)
    this.#sql.exec('INSERT INTO refresh_tokens (hash, session) VALUES (?, ?)', s.refreshHash, s.id)
    this.#recordAccess(s.id, s.access)
  }

  /**
   * Spends `oldHash` and issues `newHash` in the same family, all in one synchronous step. A token
   * spent within `graceMs` is rotated again instead of counting as reuse: two browser tabs share one
   * refresh cookie and may refresh at once, or a rotation's response may be lost on the way.
   */
  rotate(oldHash: string, newHash: string, access: IssuedAccess, now: number, graceMs = 0): RotateResult {
    const row = this.#sql
      .exec<{ session: string; spent: number; spent_at: number | null; sub: string; auth_time: number; expires_at: number; revoked: number }>(
        'SELECT t.session, t.spent, t.spent_at, s.sub, s.auth_time, s.expires_at, s.revoked FROM refresh_tokens t JOIN sessions s ON s.id = t.session WHERE t.hash = ?',
        oldHash,
      )
      .toArray()[0]
    if (!row) return { ok: false, reason: 'unknown', revokedJtis: [] }
    if (row.revoked) return { ok: false, reason: 'revoked', revokedJtis: [] }
    if (row.expires_at <= now) return { ok: false, reason: 'expired', revokedJtis: [] }
    if (row.spent && !(row.spent_at !== null && now - row.spent_at < graceMs)) return { ok: false, reason: 'reused', revokedJtis: this.end(row.session, now) }
    if (!row.spent) this.#sql.exec('UPDATE refresh_tokens SET spent = 1, spent_at = ? WHERE hash = ?', now, oldHash)
    this.#sql.exec('INSERT INTO refresh_tokens (hash, session) VALUES (?, ?)', newHash, row.session)
    this.#recordAccess(row.session, access)
    return { ok: true, session: row.session, sub: row.sub, authTime: row.auth_time, expiresAt: row.expires_at }
  }

  /** Revokes a session: its refresh tokens stop working and its access tokens are revoked. */
  end(session: string, now: number): string[] {
    this.#sql.exec('UPDATE sessions SET revoked = 1 WHERE id = ?', session)
    const access = this.#sql.exec<{ jti: string; expires_at: number }>('SELECT jti, expires_at FROM session_access WHERE session = ? AND expires_at > ?', session, now).toArray()
    for (const a of access) this.#revocations.revokeJti(a.jti, a.expires_at, now)
    return access.map((a) => a.jti)
  }

  /** Ends the session an access token was issued in, if any (revoking a login's token logs it out). */
  endByAccessToken(jti: string, now: number): string[] {
    const row = this.#sql.exec<{ session: string }>('SELECT session FROM session_access WHERE jti = ?', jti).toArray()[0]
    return row ? this.end(row.session, now) : []
  }

  /** Revokes the session a refresh token (by hash) belongs to, spent or not. */
  endByRefreshToken(hash: string, now: number): string[] {
    const row = this.#sql.exec<{ session: string }>('SELECT session FROM refresh_tokens WHERE hash = ?', hash).toArray()[0]
    return row ? this.end(row.session, now) : []
  }

  /** Revokes every session of the user (with "revoke everything issued before now"). */
  endAll(): void {
    this.#sql.exec('UPDATE sessions SET revoked = 1')
  }

  #recordAccess(session: string, access: IssuedAccess): void {
    this.#sql.exec('INSERT INTO session_access (jti, session, expires_at) VALUES (?, ?, ?)', access.jti, session, access.expiresAt)
  }

  /** Forgets sessions that ended long enough ago that none of their tokens can still be presented. */
  #prune(now: number): void {
    const gone = this.#sql.exec<{ id: string }>('SELECT id FROM sessions WHERE expires_at <= ?', now).toArray()
    for (const { id } of gone) {
      this.#sql.exec('DELETE FROM refresh_tokens WHERE session = ?', id)
      this.#sql.exec('DELETE FROM session_access WHERE session = ?', id)
      this.#sql.exec('DELETE FROM sessions WHERE id = ?', id)
    }
  }
}
