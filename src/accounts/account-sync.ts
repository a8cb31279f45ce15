import { apiKeys } from '../auth/api-key-verify'
import { revocations } from '../auth/revocation-check'
import { userKey } from '../auth/user-key'
import { getConfig } from '../config/app-config'
import type { Env } from '../env'
import type { ErasureProgress } from '../users/account-erasure'
import type { AccountApplied } from '../users/user-object'
import { userObjectByKey } from '../users/user-stub'
import { accountDirectory } from './account-directory'
import type { AccountRecord, DeletionJob, UserDirectory } from './user-directory'
import { log } from '../log/log'

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
  // Their API keys' role and state changed in the object: this isolate asks it again.
  if (result.applied) apiKeys.forgetOwner(key)
  await directory.markSynced(record.account.id, record.snapshot.version)
  return result
}

/**
 * Hands a deletion job to the deleted account's Durable Object, which closes the account at once
 * and erases it from its alarm (users/account-erasure.ts). Idempotent. Returns the job as recorded.
 */
export async function startErasure(env: Env, directory: UserDirectory, job: DeletionJob): Promise<DeletionJob> {
  const key = await accountKey(env, job.userId)
  const stub = userObjectByKey(env, key)
  await stub.beginErasure(job.id, key)
  revocations.noteRevoked(key, { revokedBefore: Number.MAX_SAFE_INTEGER })
  apiKeys.forgetOwner(key)
  return record(directory, job, await stub.erasureProgress())
}

/**
 * The job as the object doing it reports it now, copied into the directory's record; a job its
 * object never heard of (the request that opened it died first) is started.
 */
export async function refreshJob(env: Env, directory: UserDirectory, job: DeletionJob): Promise<DeletionJob> {
  if (job.state === 'done') return job
  const progress = await userObjectByKey(env, await accountKey(env, job.userId)).erasureProgress()
  if (!progress) return startErasure(env, directory, job)
  return record(directory, job, progress)
}

async function record(directory: UserDirectory, job: DeletionJob, progress: ErasureProgress | null): Promise<DeletionJob> {
  if (!progress) return job
  await directory.jobProgress(job.id, { objectsDeleted: progress.objectsDeleted, done: progress.done, error: progress.lastError, now: Date.now() })
  return (await directory.job(job.id)) ?? job
}

/**
 * The scheduled run (wrangler.toml [triggers]): delivers account changes no request delivered,
 * starts deletion jobs no request started, and records the progress of the others. Each delivery
 * is idempotent, so a change delivered twice (here and by its request) is applied once.
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
      log.error({ account: record.account.id, sync_error: String(e) })
    }
  }
  for (const job of await directory.openJobs(PER_RUN)) {
    try {
      await refreshJob(env, directory, job)
      jobs++
    } catch (e) {
      log.error({ job: job.id, erasure_start_error: String(e) })
    }
  }
  return { synced, jobs }
}
