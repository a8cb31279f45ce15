import { revocations } from '../auth/revocation-check'
import { userKey } from '../auth/user-key'
import { getConfig } from '../config/app-config'
import type { Env } from '../env'
import type { AccountApplied } from '../users/user-object'
import { userObjectByKey } from '../users/user-stub'
import { accountDirectory } from './account-directory'
import type { AccountRecord, DeletionJob, UserDirectory } from './user-directory'

/** A running job untouched for this long is started again (its object's alarm may have given up). */
const STALE_JOB_MS = 5 * 60_000
/** Accounts and jobs looked at per scheduled run. */
const PER_RUN = 100

/**
 * The key that names a directory account's storage and Durable Object: derived from its stable
 * id (the `sub` of its tokens), never from its username (auth/user-key.ts).
 */
export function accountKey(env: Env, id: string): Promise<string> {
  return userKey(getConfig(env).jwt.issuer, id)
}

/**
 * Brings the account's Durable Object up to the directory's state (account-gate.ts), marks it
 * synced in D1, and tells this isolate's revocation cache at once. Changes made through the API
 * are delivered this way in the same request; any others (the CLI, a Worker that died between
 * the D1 write and this call) by the scheduled run below.
 */
export async function syncAccount(env: Env, directory: UserDirectory, record: AccountRecord): Promise<AccountApplied> {
  const key = await accountKey(env, record.account.id)
  const result = await userObjectByKey(env, key).applyAccount(record.snapshot)
  if (result.closed) revocations.noteRevoked(key, { revokedBefore: Number.MAX_SAFE_INTEGER })
  else if (result.applied) revocations.forget(key)
  await directory.markSynced(record.account.id, record.snapshot.version)
  return result
}

/** Hands a deletion job to the deleted account's Durable Object, which closes the account at once and erases it from its alarm. */
export async function startErasure(env: Env, directory: UserDirectory, job: DeletionJob): Promise<void> {
  const key = await accountKey(env, job.userId)
  await userObjectByKey(env, key).beginErasure(job.id, key)
  revocations.noteRevoked(key, { revokedBefore: Number.MAX_SAFE_INTEGER })
  await directory.jobStarted(job.id, Date.now())
}

/**
 * The scheduled run (wrangler.toml [triggers]): delivers account changes no request delivered,
 * and starts deletion jobs that were never started or have stalled. Each delivery is idempotent,
 * so a change delivered twice (here and by its request) is applied once.
 */
export async function syncPendingAccounts(env: Env): Promise<{ synced: number; jobs: number }> {
  const directory = await accountDirectory(env)
  let synced = 0
  let jobs = 0
  for (const record of await directory.unsynced(PER_RUN)) {
    try {
      await syncAccount(env, directory, record)
      synced++
    } catch (e) {
      console.error(JSON.stringify({ level: 'error', account: record.account.id, sync_error: String(e) }))
    }
  }
  for (const job of await directory.jobsToResume(Date.now(), STALE_JOB_MS, PER_RUN)) {
    try {
      await startErasure(env, directory, job)
      jobs++
    } catch (e) {
      console.error(JSON.stringify({ level: 'error', job: job.id, erasure_start_error: String(e) }))
    }
  }
  return { synced, jobs }
}
