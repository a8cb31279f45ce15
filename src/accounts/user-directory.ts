import { ConfigError } from '../config/config-error'
import type { AccountSnapshot } from '../users/account-gate'
import { canonicalUsername, foldUsername, newUserId } from './username.mjs'

export type AccountStatus = 'active' | 'disabled'

/** One account of the directory, as routes and the console see it (never the password hash). */
export interface Account {
  /** Stable and never reused: the `sub` of the user's tokens, from which their storage is named. */
  id: string
  username: string
  role: string
  status: AccountStatus
  /** False while the account waits for its invite to be used. */
  hasPassword: boolean
  /** Bumped by every change (the ETag of admin edits). */
  version: number
  createdAt: number
  updatedAt: number
  lastLoginAt: number | null
}

export interface DeletionJob {
  id: string
  userId: string
  username: string
  requestedBy: string | null
  state: 'pending' | 'running' | 'done'
  objectsDeleted: number
  lastError: string | null
  createdAt: number
  updatedAt: number
  finishedAt: number | null
}

export type InviteRefusal = 'unknown' | 'used' | 'expired'

interface UserRow {
  id: string
  username: string
  username_key: string
  role: string
  password_hash: string | null
  status: AccountStatus
  version: number
  synced_version: number
  role_changed_at: number | null
  password_changed_at: number | null
  password_changed_in: string | null
  created_at: number
  updated_at: number
  last_login_at: number | null
}

interface JobRow {
  id: string
  user_id: string
  username: string
  requested_by: string | null
  state: DeletionJob['state']
  objects_deleted: number
  last_error: string | null
  created_at: number
  updated_at: number
  finished_at: number | null
}

/** An account with what the Worker needs to log it in and keep its Durable Object in step. */
export interface AccountRecord {
  account: Account
  passwordHash: string | null
  snapshot: AccountSnapshot
  synced: boolean
}

/** Longest page of a user listing. */
export const USER_PAGE_MAX = 100

/**
 * The directory of accounts in D1: the one place that says who may log in, with which role.
 * Every statement that changes an account bumps its `version` in the same statement, and every
 * multi-statement change is one `batch` (a D1 transaction), so concurrent admins, logins and
 * invites each get one defined outcome. Reusable by anything that needs accounts (API keys, the
 * console): it takes a D1 binding and knows nothing of HTTP.
 */
export class UserDirectory {
  readonly #db: D1Database

  constructor(db: D1Database) {
    this.#db = db
  }

  /** The account with this username in any case or Unicode form; null for none (or a name that cannot exist). */
  async byName(name: string): Promise<AccountRecord | null> {
    const canonical = canonicalUsername(name)
    if (typeof canonical === 'string') return null
    return record(await this.#first<UserRow>('SELECT * FROM users WHERE username_key = ?', canonical.key))
  }

  async byId(id: string): Promise<AccountRecord | null> {
    return record(await this.#first<UserRow>('SELECT * FROM users WHERE id = ?', id))
  }

  /**
   * One page of accounts in username order. `search` matches anywhere in the canonical name (so it
   * is case-insensitive too); `after` is the cursor of the previous page.
   */
  async list(o: { search?: string; limit: number; after?: string }): Promise<{ accounts: Account[]; next: string | null }> {
    const search = o.search ? foldUsername(o.search) : null
    const rows = await this.#all<UserRow>(
      'SELECT * FROM users WHERE username_key > ?1 AND (?2 IS NULL OR instr(username_key, ?2) > 0) ORDER BY username_key LIMIT ?3',
      o.after ?? '',
      search,
      o.limit + 1,
    )
    const page = rows.slice(0, o.limit)
    return { accounts: page.map(toAccount), next: rows.length > o.limit ? page[page.length - 1]!.username_key : null }
  }

  /**
   * Creates an account, with a password hash or (none) an invite. 'taken' when the name, in any
   * case or Unicode form, already belongs to someone: exactly one of two racing creations wins.
   */
  async create(input: {
    username: string
    role: string
    passwordHash: string | null
    invite?: { tokenHash: string; expiresAt: number }
    createdBy: string | null
    now: number
  }): Promise<AccountRecord | 'taken' | 'invalid'> {
    const canonical = canonicalUsername(input.username)
    if (typeof canonical === 'string') return 'invalid'
    const id = newUserId()
    const { now } = input
    const statements = [
      this.#db
        .prepare(
          `INSERT INTO users (id, username, username_key, role, password_hash, status, version, synced_version, created_at, updated_at)
           SELECT ?1, ?2, ?3, ?4, ?5, 'active', 1, 1, ?6, ?6 WHERE NOT EXISTS (SELECT 1 FROM deleted_users WHERE id = ?1)
           ON CONFLICT (username_key) DO NOTHING RETURNING *`,
        )
        .bind(id, canonical.username, canonical.key, input.role, input.passwordHash, now),
    ]
    if (input.invite) statements.push(this.#insertInvite(id, input.invite, input.createdBy, now))
    const [created] = await this.#batch<UserRow>(statements)
    const row = created?.[0]
    return row ? record(row)! : 'taken'
  }

  /**
   * Changes role and/or status. With `ifVersion`, only if the account is still at that version
   * (optimistic concurrency: of two admins editing from the same view, the second gets 'stale').
   */
  async update(name: string, change: { role?: string; status?: AccountStatus }, ifVersion: number | undefined, now: number): Promise<AccountRecord | 'not_found' | 'stale'> {
    const canonical = canonicalUsername(name)
    if (typeof canonical === 'string') return 'not_found'
    const row = await this.#first<UserRow>(
      `UPDATE users SET role = coalesce(?1, role), status = coalesce(?2, status), version = version + 1, updated_at = ?3,
       role_changed_at = CASE WHEN ?1 IS NOT NULL AND ?1 != role THEN ?3 ELSE role_changed_at END
       WHERE username_key = ?4 AND (?5 IS NULL OR version = ?5) RETURNING *`,
      change.role ?? null,
      change.status ?? null,
      now,
      canonical.key,
      ifVersion ?? null,
    )
    if (row) return record(row)!
    if (ifVersion === undefined) return 'not_found'
    return (await this.#first('SELECT 1 AS found FROM users WHERE username_key = ?', canonical.key)) ? 'stale' : 'not_found'
  }

  async recordLogin(id: string, at: number): Promise<void> {
    await this.#run('UPDATE users SET last_login_at = max(coalesce(last_login_at, 0), ?) WHERE id = ?', at, id)
  }

  /**
   * A new one-time invite for the account; earlier unused ones stop working. Null if no such account.
   * The password stays as it is until the invite is used.
   */
  async newInvite(name: string, invite: { tokenHash: string; expiresAt: number }, createdBy: string | null, now: number): Promise<AccountRecord | null> {
    const found = await this.byName(name)
    if (!found) return null
    await this.#batch([
      this.#db.prepare('DELETE FROM invites WHERE (user_id = ? AND used_at IS NULL) OR expires_at < ?').bind(found.account.id, now - INVITE_MEMORY_MS),
      this.#insertInvite(found.account.id, invite, createdBy, now),
    ])
    return found
  }

  /**
   * Spends an invite and sets the password, in one transaction. Of two requests racing for one
   * invite exactly one wins: the other finds it used. `nonce` tells this request's spend apart.
   */
  async useInvite(tokenHash: string, passwordHash: string, nonce: string, now: number): Promise<{ ok: true; record: AccountRecord } | { ok: false; reason: InviteRefusal }> {
    const [, updated] = await this.#batch<UserRow>([
      this.#db.prepare('UPDATE invites SET used_at = ?1, used_nonce = ?2 WHERE token_hash = ?3 AND used_at IS NULL AND expires_at > ?1').bind(now, nonce, tokenHash),
      // A password set through an invite (a reset) ends every session: no session is kept.
      this.#db
        .prepare(
          `UPDATE users SET password_hash = ?1, password_changed_at = ?2, password_changed_in = NULL, version = version + 1, updated_at = ?2
           WHERE id = (SELECT user_id FROM invites WHERE token_hash = ?3 AND used_nonce = ?4) RETURNING *`,
        )
        .bind(passwordHash, now, tokenHash, nonce),
      this.#db.prepare('DELETE FROM invites WHERE used_at IS NULL AND user_id = (SELECT user_id FROM invites WHERE token_hash = ? AND used_nonce = ?)').bind(tokenHash, nonce),
    ])
    const row = updated?.[0]
    if (row) return { ok: true, record: record(row)! }
    return { ok: false, reason: await this.inviteState(tokenHash, now) }
  }

  /** Why an invite cannot be used, or null when it can; and whose it is. */
  async invite(tokenHash: string, now: number): Promise<{ ok: true; account: Account; expiresAt: number } | { ok: false; reason: InviteRefusal }> {
    const row = await this.#first<UserRow & { expires_at_invite: number; used_at: number | null }>(
      'SELECT u.*, i.expires_at AS expires_at_invite, i.used_at FROM invites i JOIN users u ON u.id = i.user_id WHERE i.token_hash = ?',
      tokenHash,
    )
    if (!row) return { ok: false, reason: 'unknown' }
    if (row.used_at !== null) return { ok: false, reason: 'used' }
    if (row.expires_at_invite <= now) return { ok: false, reason: 'expired' }
    return { ok: true, account: toAccount(row), expiresAt: row.expires_at_invite }
  }

  async inviteState(tokenHash: string, now: number): Promise<InviteRefusal> {
    const row = await this.#first<{ used_at: number | null; expires_at: number }>('SELECT used_at, expires_at FROM invites WHERE token_hash = ?', tokenHash)
    if (!row) return 'unknown'
    if (row.used_at !== null) return 'used'
    return row.expires_at <= now ? 'expired' : 'unknown'
  }

  /**
   * Replaces the password if it is still `currentHash` (a concurrent change or a disable makes this
   * 'conflict'). `session` is kept when the other sessions end.
   */
  async changePassword(id: string, currentHash: string, newHash: string, session: string | null, now: number): Promise<AccountRecord | 'conflict'> {
    const row = await this.#first<UserRow>(
      `UPDATE users SET password_hash = ?1, password_changed_at = ?2, password_changed_in = ?3, version = version + 1, updated_at = ?2
       WHERE id = ?4 AND password_hash = ?5 AND status = 'active' RETURNING *`,
      newHash,
      now,
      session,
      id,
      currentHash,
    )
    return row ? record(row)! : 'conflict'
  }

  /** The user's Durable Object has applied `version`. */
  async markSynced(id: string, version: number): Promise<void> {
    await this.#run('UPDATE users SET synced_version = max(synced_version, ?) WHERE id = ?', version, id)
  }

  /** Accounts whose Durable Object has not yet been told their latest state. */
  async unsynced(limit: number): Promise<AccountRecord[]> {
    const rows = await this.#all<UserRow>('SELECT * FROM users WHERE synced_version < version LIMIT ?', limit)
    return rows.map((r) => record(r)!)
  }

  /**
   * Deletes the account from the directory and opens the job that erases its data, in one
   * transaction: the name is free again at once (a new account with it gets a new id), the id is
   * remembered for good. Null if no such account (or another admin deleted it first).
   */
  async delete(name: string, o: { jobId: string; by: string | null; now: number }): Promise<DeletionJob | null> {
    const canonical = canonicalUsername(name)
    if (typeof canonical === 'string') return null
    const { key } = canonical
    const results = await this.#batch<JobRow>([
      this.#db.prepare('INSERT INTO deleted_users (id, username, deleted_at, deleted_by) SELECT id, username, ?, ? FROM users WHERE username_key = ?').bind(o.now, o.by, key),
      this.#db
        .prepare(
          `INSERT INTO deletion_jobs (id, user_id, username, requested_by, state, created_at, updated_at)
           SELECT ?1, id, username, ?2, 'pending', ?3, ?3 FROM users WHERE username_key = ?4 RETURNING *`,
        )
        .bind(o.jobId, o.by, o.now, key),
      this.#db.prepare('DELETE FROM invites WHERE user_id IN (SELECT id FROM users WHERE username_key = ?)').bind(key),
      this.#db.prepare('DELETE FROM users WHERE username_key = ?').bind(key),
    ])
    const job = results[1]?.[0]
    return job ? toJob(job) : null
  }

  async job(id: string): Promise<DeletionJob | null> {
    const row = await this.#first<JobRow>('SELECT * FROM deletion_jobs WHERE id = ?', id)
    return row ? toJob(row) : null
  }

  /** Jobs not recorded as done, least recently updated first. */
  async openJobs(limit: number): Promise<DeletionJob[]> {
    const rows = await this.#all<JobRow>("SELECT * FROM deletion_jobs WHERE state != 'done' ORDER BY updated_at LIMIT ?", limit)
    return rows.map(toJob)
  }

  /** Progress, as the object doing the work reports it (users/account-erasure.ts). */
  async jobProgress(id: string, p: { objectsDeleted: number; done: boolean; error: string | null; now: number }): Promise<void> {
    await this.#run(
      `UPDATE deletion_jobs SET state = CASE WHEN ?1 THEN 'done' ELSE 'running' END, objects_deleted = ?2, last_error = ?3, updated_at = ?4,
       finished_at = CASE WHEN ?1 THEN ?4 ELSE NULL END WHERE id = ?5 AND state != 'done'`,
      p.done ? 1 : 0,
      p.objectsDeleted,
      p.error,
      p.now,
      id,
    )
  }

  async isDeleted(id: string): Promise<boolean> {
    return (await this.#first('SELECT 1 AS found FROM deleted_users WHERE id = ?', id)) !== null
  }

  /**
   * Imports accounts from the legacy AUTH_USERS secret, each once: a name already imported (even
   * if deleted or renamed since) or already taken is skipped. Their id is their old `sub` (the
   * name), so their audio, voices, shares and sessions stay theirs.
   */
  async importLegacy(users: { name: string; role: string; passwordHash: string }[], now: number): Promise<number> {
    const statements: D1PreparedStatement[] = []
    for (const u of users) {
      const canonical = canonicalUsername(u.name)
      if (typeof canonical === 'string') continue
      statements.push(
        this.#db
          .prepare(
            `INSERT INTO users (id, username, username_key, role, password_hash, status, version, synced_version, created_at, updated_at)
             SELECT ?1, ?2, ?3, ?4, ?5, 'active', 1, 1, ?6, ?6
             WHERE NOT EXISTS (SELECT 1 FROM legacy_imports WHERE username_key = ?3) AND NOT EXISTS (SELECT 1 FROM deleted_users WHERE id = ?1)
             ON CONFLICT DO NOTHING RETURNING id`,
          )
          .bind(u.name, canonical.username, canonical.key, u.role, u.passwordHash, now),
        this.#db.prepare('INSERT INTO legacy_imports (username_key, imported_at) VALUES (?, ?) ON CONFLICT DO NOTHING').bind(canonical.key, now),
      )
    }
    if (!statements.length) return 0
    const results = await this.#batch(statements)
    return results.filter((rows, i) => i % 2 === 0 && rows.length > 0).length
  }

  #insertInvite(userId: string, invite: { tokenHash: string; expiresAt: number }, createdBy: string | null, now: number): D1PreparedStatement {
    // Only if the account exists: in create(), only if the insert before it happened.
    return this.#db
      .prepare('INSERT INTO invites (token_hash, user_id, created_at, expires_at, created_by) SELECT ?, id, ?, ?, ? FROM users WHERE id = ?')
      .bind(invite.tokenHash, now, invite.expiresAt, createdBy, userId)
  }

  async #first<T>(sql: string, ...params: unknown[]): Promise<T | null> {
    return (await this.#all<T>(sql, ...params))[0] ?? null
  }

  async #all<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    return guard(
      async () =>
        (
          await this.#db
            .prepare(sql)
            .bind(...params)
            .all<T>()
        ).results,
    )
  }

  async #run(sql: string, ...params: unknown[]): Promise<void> {
    await guard(() =>
      this.#db
        .prepare(sql)
        .bind(...params)
        .run(),
    )
  }

  async #batch<T>(statements: D1PreparedStatement[]): Promise<T[][]> {
    return guard(async () => (await this.#db.batch<T>(statements)).map((r) => r.results ?? []))
  }
}

/** How long a used or expired invite is remembered (so a second use says "used", not "unknown"). */
const INVITE_MEMORY_MS = 30 * 86_400_000

/**
 * A database without the directory's tables is a deployment that skipped its migrations: say so
 * (500 misconfigured naming the fix) rather than a bare internal error. D1 reports it only as text.
 */
async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (e) {
    if (e instanceof Error && /no such table/i.test(e.message))
      throw new ConfigError('the account database (D1 binding DB) has no tables: apply migrations/ with `npx wrangler d1 migrations apply DB`')
    throw e
  }
}

function toAccount(r: UserRow): Account {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    status: r.status,
    hasPassword: r.password_hash !== null,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastLoginAt: r.last_login_at,
  }
}

function record(r: UserRow | null): AccountRecord | null {
  if (!r) return null
  return {
    account: toAccount(r),
    passwordHash: r.password_hash,
    snapshot: {
      id: r.id,
      version: r.version,
      status: r.status,
      role: r.role,
      roleChangedAt: r.role_changed_at,
      passwordChangedAt: r.password_changed_at,
      passwordChangedIn: r.password_changed_in,
    },
    synced: r.synced_version >= r.version,
  }
}

function toJob(r: JobRow): DeletionJob {
  return {
    id: r.id,
    userId: r.user_id,
    username: r.username,
    requestedBy: r.requested_by,
    state: r.state,
    objectsDeleted: r.objects_deleted,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  }
}
