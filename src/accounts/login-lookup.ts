import { parsePasswordHash, type PasswordHash } from '../auth/password-hash'
import type { Env } from '../env'
import { accountDirectory } from './account-directory'
import { accountKey } from './account-sync'
import { canonicalUsername } from './username.mjs'

/** What `POST /auth/login` needs to know of an account (tokens/auth-routes.ts). */
export interface LoginAccount {
  /** The `sub` of its tokens. */
  id: string
  /** Names its Durable Object, where its sessions live. */
  key: string
  role: string
  active: boolean
  /** Undefined while the account waits for its invite. */
  password: PasswordHash | undefined
}

/** The account a login names, in any case or Unicode form of its username; null if none. */
export async function loginAccount(env: Env, username: string): Promise<LoginAccount | null> {
  const record = await (await accountDirectory(env)).byName(username)
  if (!record) return null
  const password = record.passwordHash === null ? undefined : parsePasswordHash(record.passwordHash)
  const { id, role, status } = record.account
  return { id, key: await accountKey(env, id), role, active: status === 'active', password: typeof password === 'object' ? password : undefined }
}

/** The account a refresh token's session belongs to, if it may still have tokens (exists, active). */
export async function refreshAccount(env: Env, id: string): Promise<{ role: string } | null> {
  const record = await (await accountDirectory(env)).byId(id)
  return record && record.account.status === 'active' ? { role: record.account.role } : null
}

/** A successful login, for the admin's user list. */
export async function recordLogin(env: Env, id: string, at: number): Promise<void> {
  await (await accountDirectory(env)).recordLogin(id, at)
}

/**
 * What failed logins are counted under: the canonical name, so "Alice", "ALICE" and "Ａｌｉｃｅ"
 * share one counter (else each spelling would get its own five guesses).
 */
export function loginName(username: string): string {
  const canonical = canonicalUsername(username)
  return typeof canonical === 'string' ? username : canonical.key
}
