import { migrate } from '../sql/migrations'

/** What a revocation check needs to know of a token. */
export interface TokenRef {
  jti: string | undefined
  /** `iat`, seconds. */
  issuedAt: number | undefined
}

/** A user's revocations as an isolate caches them (revocation-check.ts). */
export interface RevocationState {
  /** Tokens issued at or before this second are revoked (null: no such cut-off). */
  revokedBefore: number | null
  /** Revoked token ids that could still be presented (not yet expired). */
  jtis: string[]
}

/** True if the "everything issued before" cut-off covers the token. */
export function revokedByCutoff(revokedBefore: number | null, token: TokenRef): boolean {
  return revokedBefore !== null && (token.issuedAt === undefined || token.issuedAt <= revokedBefore)
}

/**
 * A user's token revocations, in their Durable Object's SQLite:
 * - by `jti`: one token, kept until it would have expired anyway;
 * - "everything issued before T" (`revokedBefore`, whole seconds as `iat` is): a token issued in
 *   the very second of the revocation is revoked too (a login in that second must be repeated),
 *   because letting that second through would let a stolen token survive "revoke everything".
 *   A token without `iat` is revoked by any cut-off (it cannot prove it came after).
 */
export class RevocationLedger {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'revocations', [
      `
      CREATE TABLE IF NOT EXISTS revoked_jtis (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS revoked_before (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
    `,
    ])
  }

  isRevoked(token: TokenRef, now: number): boolean {
    if (revokedByCutoff(this.#revokedBefore(), token)) return true
    if (token.jti === undefined) return false
    return this.#sql.exec('SELECT 1 FROM revoked_jtis WHERE jti = ? AND expires_at > ?', token.jti, now).toArray().length > 0
  }

  state(now: number): RevocationState {
    const jtis = this.#sql
      .exec<{ jti: string }>('SELECT jti FROM revoked_jtis WHERE expires_at > ?', now)
      .toArray()
      .map((r) => r.jti)
    return { revokedBefore: this.#revokedBefore(), jtis }
  }

  /** Revokes one token until `expiresAt` (ms), after which it is refused as expired anyway. */
  revokeJti(jti: string, expiresAt: number, now: number): void {
    this.#sql.exec('DELETE FROM revoked_jtis WHERE expires_at <= ?', now)
    this.#sql.exec('INSERT INTO revoked_jtis (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)', jti, expiresAt)
  }

  /** Revokes every token issued at or before `second`. Never moves the cut-off back. */
  revokeAllBefore(second: number): void {
    this.#sql.exec('INSERT INTO revoked_before (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = max(at, excluded.at)', second)
  }

  #revokedBefore(): number | null {
    return this.#sql.exec<{ at: number }>('SELECT at FROM revoked_before WHERE id = 1').toArray()[0]?.at ?? null
  }
}
