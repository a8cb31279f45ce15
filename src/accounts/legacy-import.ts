import { getAuthConfig } from '../auth/auth-config'
import { formatPasswordHash } from '../auth/password-hash'
import { getConfig } from '../config/app-config'
import type { Env } from '../env'
import type { UserDirectory } from './user-directory'
import { log } from '../log/log'

/**
 * AUTH_USERS, the JSON secret that listed the edge's users before the directory, is migrated once:
 * each name it lists is imported the first time the Worker sees it (and never again, even after
 * the account is deleted), with its role and password hash, and with its old `sub` (the name) as
 * its id, so the user keeps their audio, voices, shares and sessions. From then on the directory
 * is the truth: editing AUTH_USERS changes nothing, and the secret can be deleted
 * (`npx wrangler secret delete AUTH_USERS`). A role that is no tier of TIERS is imported as free.
 */
export async function importLegacyUsers(env: Env, directory: UserDirectory): Promise<void> {
  const { users } = await getAuthConfig(env)
  const { tiers } = getConfig(env)
  const entries = [...users].map(([name, user]) => ({
    name,
    role: Object.hasOwn(tiers, user.role) ? user.role : 'free',
    passwordHash: formatPasswordHash(user.password),
  }))
  const count = await directory.importLegacy(entries, Date.now())
  if (count > 0) log.info({ accounts_imported_from_AUTH_USERS: count })
}
