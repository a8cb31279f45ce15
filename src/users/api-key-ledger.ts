import { migrate } from '../sql/migrations'
import { revokedByCutoff, type TokenRef } from './revocation-ledger'

/** A personal API key as its owner (or an admin) sees it. Times are milliseconds since the epoch. */
export interface ApiKey {
  id: string
  name: string
  /** Space-separated scopes the key was granted (auth/principal.ts SCOPES). */
  scope: string
  /** The creator's role when the key was made (auth/api-key-verify.ts says when it is used). */
  role: string
  /** The owner, as their tokens name them: for the Principal a key stands for. */
  sub: string
  issuer: string
  createdAt: number
  expiresAt: number
  /** Coarse: updated at most once per LAST_USED_RESOLUTION_MS. */
  lastUsedAt: number | null
  revokedAt: number | null
}

export type NewApiKey = Omit<ApiKey, 'lastUsedAt' | 'revokedAt' | 'createdAt' | 'expiresAt'> & {
  hash: string
  /** Life from creation, ms. */
  ttlMs: number
}

/** Last use is recorded to the minute: a request that used its key within the minute writes nothing. */
export const LAST_USED_RESOLUTION_MS = 60_000
/** Revoked and expired keys stay in the table this long (for the record), then are dropped. */
const KEEP_MS = 30 * 86_400_000

interface Row extends Record<string, SqlStorageValue> {
  id: string
  name: string
  scope: string
  role: string
  sub: string
  issuer: string
  created_at: number
  expires_at: number
  last_used_at: number | null
  revoked_at: number | null
}

/**
 * A key as a revocation check sees it (revocation-ledger.ts): issued when it was created, with no
 * `jti`, so "revoke everything issued before" covers the keys made before it too.
 */
export const apiKeyTokenRef = (key: Pick<ApiKey, 'createdAt'>): TokenRef => ({ jti: undefined, issuedAt: Math.floor(key.createdAt / 1000) })

/** May the key be used now: not revoked, not expired, not under a "revoke everything" cut-off (seconds). */
export function apiKeyUsable(key: ApiKey, revokedBefore: number | null, now: number): boolean {
  return key.revokedAt === null && key.expiresAt > now && !revokedByCutoff(revokedBefore, apiKeyTokenRef(key))
}

const COLUMNS = 'id, name, scope, role, sub, issuer, created_at, expires_at, last_used_at, revoked_at'

/**
 * A user's API keys, in their Durable Object's SQLite: hashes only (SHA-256 of the key's text,
 * auth/api-key-format.ts), never a key. Looked up by id, the part of the key that routes it here.
 */
export class ApiKeyLedger {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'api_keys', [
      `CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY, hash TEXT NOT NULL, name TEXT NOT NULL, scope TEXT NOT NULL, role TEXT NOT NULL,
        sub TEXT NOT NULL, issuer TEXT NOT NULL,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, last_used_at INTEGER, revoked_at INTEGER)`,
    ])
  }

  /** Null when the user already has `maxLive` live keys. */
  create(key: NewApiKey, now: number, maxLive: number): ApiKey | null {
    this.#sql.exec('DELETE FROM api_keys WHERE expires_at < ? OR revoked_at < ?', now - KEEP_MS, now - KEEP_MS)
    const live = this.#sql.exec<{ n: number }>('SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL AND expires_at > ?', now).one().n
    if (live >= maxLive) return null
    this.#sql.exec(
      `INSERT INTO api_keys (id, hash, name, scope, role, sub, issuer, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      key.id,
      key.hash,
      key.name,
      key.scope,
      key.role,
      key.sub,
      key.issuer,
      now,
      now + key.ttlMs,
    )
    return this.find(key.id)!
  }

  /** Keys not revoked, newest first; expired ones stay listed (as expired) until dropped. */
  list(): ApiKey[] {
    return this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, id`).toArray().map(toApiKey)
  }

  /** Null when there is no such key or it was already revoked. */
  revoke(id: string, now: number): ApiKey | null {
    const row = this.#sql.exec<Row>(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING ${COLUMNS}`, now, id).toArray()[0]
    return row ? toApiKey(row) : null
  }

  /** Revokes every key (the user's "revoke everything"); returns their ids. */
  revokeAll(now: number): string[] {
    return this.#sql
      .exec<{ id: string }>('UPDATE api_keys SET revoked_at = ? WHERE revoked_at IS NULL RETURNING id', now)
      .toArray()
      .map((r) => r.id)
  }

  /**
   * Every key takes the owner's role (a directory account's role changed: accounts/), so a
   * downgraded user's keys carry no old rights; a key's scopes stay as narrow as they were made.
   */
  setRole(role: string): void {
    this.#sql.exec('UPDATE api_keys SET role = ? WHERE role != ?', role, role)
  }

  /**
   * The key with this id (and, when given, this hash), whatever its state. The hash is compared in
   * SQL, not in constant time: it is the SHA-256 of what the caller sent, and learning how much of
   * a stored hash it matches gives no way to a key (SHA-256 is preimage resistant).
   */
  find(id: string, hash?: string): ApiKey | null {
    const row =
      hash === undefined
        ? this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`, id).toArray()[0]
        : this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE id = ? AND hash = ?`, id, hash).toArray()[0]
    return row ? toApiKey(row) : null
  }

  /** Records a use of the key: at most one write per LAST_USED_RESOLUTION_MS. */
  touch(key: ApiKey, now: number): void {
    if (key.lastUsedAt === null || key.lastUsedAt <= now - LAST_USED_RESOLUTION_MS) this.#sql.exec('UPDATE api_keys SET last_used_at = ? WHERE id = ?', now, key.id)
  }
}

function toApiKey(r: Row): ApiKey {
  return {
    id: r.id,
    name: r.name,
    scope: r.scope,
    role: r.role,
    sub: r.sub,
    issuer: r.issuer,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }
}
