import { ConfigError } from '../config/config-error'
import type { Env } from '../env'
import { importLegacyUsers } from './legacy-import'
import { UserDirectory } from './user-directory'

const imported = new WeakMap<Env, Promise<void>>()

/** The D1 binding of the directory, or a ConfigError naming it (also for `npm run config:check`). */
export function directoryBinding(env: Env): D1Database {
  if (!env.DB) throw new ConfigError('the D1 binding DB is missing (the account directory: [[d1_databases]] in wrangler.toml)')
  return env.DB
}

/**
 * The account directory of this deployment (the D1 binding `DB`). The first use in an isolate also
 * imports the legacy AUTH_USERS secret, if it is still set (legacy-import.ts); a failed import is
 * retried on the next use rather than remembered.
 */
export async function accountDirectory(env: Env): Promise<UserDirectory> {
  const directory = new UserDirectory(directoryBinding(env))
  if (env.AUTH_USERS?.trim()) {
    let done = imported.get(env)
    if (!done) {
      done = importLegacyUsers(env, directory)
      done.catch(() => imported.delete(env))
      imported.set(env, done)
    }
    await done
  }
  return directory
}
