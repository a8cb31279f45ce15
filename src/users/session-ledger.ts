import type { RevocationLedger } from './revocation-ledger'
import { migrate, type MigrationStep } from '../sql/migrations'

/**
 * How a family's refresh tokens travel, fixed at login: `cookie` (the browser's HttpOnly
 * `__Host-refresh` cookie) or `body` (a JSON body, for every other client). A token presented the
 * other way is refused and its family revoked: any client can send a cookie header, so how a token
 * arrives proves nothing; what counts is how its family was issued.
 */
export type IssuedAs = 'cookie' | 'body'

/**
 * How long a just-spent refresh token still rotates, in cookie-issued families only: two tabs of one
 * browser share the cookie and may refresh at once, or a rotation's response may be lost. A body
 * token's holder controls its own storage, so a spent one is always a reuse.
 */
export const COOKIE_REFRESH_GRACE_MS = 30_000

const SCHEMA: readonly MigrationStep[] = [
  // 1: the tables as they were before versioning (verbatim).
  `
      CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, sub TEXT NOT NULL, auth_time INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS refresh_tokens (hash TEXT PRIMARY KEY, session TEXT NOT NULL, spent INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS refresh_tokens_session ON refresh_tokens (session);
      CREATE TABLE IF NOT EXISTS session_access (jti TEXT PRIMARY KEY, session TEXT NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS session_access_session ON session_access (session);
    `,
  // 2: when a token was spent (for the grace period); objects from before versioning may have it.
  (sql) => {
    const columns = sql.exec<{ name: string }>('PRAGMA table_info(refresh_tokens)').toArray()
    if (!columns.some((c) => c.name === 'spent_at')) sql.exec('ALTER TABLE refresh_tokens ADD COLUMN spent_at INTEGER')
  },
  // 3: how each family was issued. NULL for families from before: they get no grace at all, by
  // either channel (their browsers may have to log in again once; nobody can fork them).
  'ALTER TABLE sessions ADD COLUMN issued_as TEXT',
]

export interface NewSession {
  id: string
  sub: string
  /** When the user typed their password, seconds: carried into every refreshed token. */
  authTime: number
  /** End of the whole family, ms: refreshing never extends it. */
  expiresAt: number
  refreshHash: string
  issuedAs: IssuedAs
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
  /** `wrong_channel`: a cookie family's token in a body or the reverse, which also revokes the family. */
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused' | 'wrong_channel'; revokedJtis: string[] }

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
    migrate(sql, 'sessions', SCHEMA)
  }

  start(s: NewSession, now: number): void {
    this.#prune(now)
    this.#sql.exec('INSERT INTO sessions (id, sub, auth_time, expires_at, issued_as) VALUES (?, ?, ?, ?, ?)', s.id, s.sub, s.authTime, s.expiresAt, s.issuedAs)
    this.#sql.exec('INSERT INTO refresh_tokens (hash, session) VALUES (?, ?)', s.refreshHash, s.id)
    this.#recordAccess(s.id, s.access)
  }

  /**
   * Spends `oldHash` and issues `newHash` in the same family, all in one synchronous step.
   * `presentedAs` is how the token arrived. Refused, revoking the family: a token presented in a
   * way its family was not issued for, and a spent token, except within COOKIE_REFRESH_GRACE_MS of
   * its spending in a cookie-issued family (which rotates again instead).
   */
  rotate(oldHash: string, newHash: string, access: IssuedAccess, now: number, presentedAs: IssuedAs): RotateResult {
    const row = this.#sql
      .exec<{ session: string; spent: number; spent_at: number | null; sub: string; auth_time: number; expires_at: number; revoked: number; issued_as: IssuedAs | null }>(
        'SELECT t.session, t.spent, t.spent_at, s.sub, s.auth_time, s.expires_at, s.revoked, s.issued_as FROM refresh_tokens t JOIN sessions s ON s.id = t.session WHERE t.hash = ?',
        oldHash,
      )
      .toArray()[0]
    if (!row) return { ok: false, reason: 'unknown', revokedJtis: [] }
    if (row.revoked) return { ok: false, reason: 'revoked', revokedJtis: [] }
    if (row.expires_at <= now) return { ok: false, reason: 'expired', revokedJtis: [] }
    if (row.issued_as !== null && row.issued_as !== presentedAs) return { ok: false, reason: 'wrong_channel', revokedJtis: this.end(row.session, now) }
    const graceMs = row.issued_as === 'cookie' ? COOKIE_REFRESH_GRACE_MS : 0
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

  /** The user's sessions that can still be refreshed (accounts/session-routes.ts lists them). */
  live(now: number): { id: string; authTime: number; expiresAt: number; issuedAs: IssuedAs | null }[] {
    return this.#sql
      .exec<{ id: string; auth_time: number; expires_at: number; issued_as: IssuedAs | null }>(
        'SELECT id, auth_time, expires_at, issued_as FROM sessions WHERE revoked = 0 AND expires_at > ? ORDER BY auth_time DESC',
        now,
      )
      .toArray()
      .map((r) => ({ id: r.id, authTime: r.auth_time, expiresAt: r.expires_at, issuedAs: r.issued_as }))
  }

  /** Ends every live session but `keep` (a password change); returns the access token ids revoked. */
  endAllExcept(keep: string | null, now: number): string[] {
    return this.live(now)
      .filter((s) => s.id !== keep)
      .flatMap((s) => this.end(s.id, now))
  }

  /**
   * Revokes the live access tokens of every session but keeps the sessions: the next refresh
   * issues a token with what the account has now (a role change). Returns the revoked ids.
   */
  revokeAccessTokens(now: number): string[] {
    const access = this.#sql
      .exec<{ jti: string; expires_at: number }>(
        'SELECT a.jti, a.expires_at FROM session_access a JOIN sessions s ON s.id = a.session WHERE s.revoked = 0 AND a.expires_at > ?',
        now,
      )
      .toArray()
    for (const a of access) this.#revocations.revokeJti(a.jti, a.expires_at, now)
    return access.map((a) => a.jti)
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
