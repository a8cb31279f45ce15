import { migrate } from '../sql/migrations'
import { sharedVoiceKey, userPrefix, voicePrefix } from '../storage/keys'

/** R2 objects deleted per step (R2 deletes up to 1000 keys in one call; a step stays short). */
const BATCH = 500
/** After a failure (R2 unreachable), the next try. */
const RETRY_MS = 30_000
/** Tables an erased object keeps: the tombstone that refuses the old tokens, this job, the schema. */
const KEPT_TABLES = new Set(['account_gate', 'account_erasure', 'schema_versions'])

/** Where a deleted account's erasure stands, as the directory's job record copies it. */
export interface ErasureProgress {
  jobId: string
  objectsDeleted: number
  done: boolean
  lastError: string | null
  updatedAt: number
}

type JobRow = {
  job_id: string
  user_key: string
  objects_deleted: number
  finished_at: number | null
  last_error: string | null
  updated_at: number
}

/**
 * Erases a deleted account's data, driven by the alarm of the account's own Durable Object, so it
 * survives restarts and deploys: an alarm that did not finish runs again, and each step is
 * idempotent. Progress is kept here; the Worker copies it into the directory's job record when the
 * job is polled and on its scheduled run (accounts/account-sync.ts).
 *
 * A step deletes one batch of R2 objects under `users/<key>/`, withdrawing first any voice the user
 * had published. Once the prefix is empty and no synthesis admitted before the deletion is still
 * running (it could still commit its recording), every row of the object's own tables goes (usage,
 * audit trail, shares, sessions, revocations), except the tombstone (account-gate.ts) that keeps
 * refusing the old tokens: the id is never reused, so the tombstone only ever meets old credentials.
 */
export class AccountErasure {
  readonly #sql: SqlStorage
  readonly #bucket: R2Bucket

  constructor(sql: SqlStorage, bucket: R2Bucket) {
    this.#sql = sql
    this.#bucket = bucket
    migrate(sql, 'account_erasure', [
      `CREATE TABLE IF NOT EXISTS account_erasure (
        id INTEGER PRIMARY KEY CHECK (id = 1), job_id TEXT NOT NULL, user_key TEXT NOT NULL,
        objects_deleted INTEGER NOT NULL DEFAULT 0, started_at INTEGER NOT NULL, finished_at INTEGER,
        last_error TEXT, updated_at INTEGER NOT NULL)`,
    ])
  }

  /** Takes the job on (again: idempotent, the first job id stays). True while there is work left. */
  begin(jobId: string, userKey: string, now: number): boolean {
    this.#sql.exec('INSERT INTO account_erasure (id, job_id, user_key, started_at, updated_at) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING', jobId, userKey, now, now)
    return this.#row()?.finished_at === null
  }

  progress(): ErasureProgress | null {
    const job = this.#row()
    if (!job) return null
    return { jobId: job.job_id, objectsDeleted: job.objects_deleted, done: job.finished_at !== null, lastError: job.last_error, updatedAt: job.updated_at }
  }

  /**
   * One step of the job. Returns when the alarm should run the next one, or null when it is over.
   * `leaseExpiry`: when the last synthesis still running ends at the latest (null: none runs).
   */
  async step(now: number, leaseExpiry: number | null): Promise<number | null> {
    const job = this.#row()
    if (!job || job.finished_at !== null) return null
    try {
      const page = await this.#bucket.list({ prefix: userPrefix(job.user_key), limit: BATCH })
      if (page.objects.length > 0) {
        const voices = voicePrefix(job.user_key)
        for (const o of page.objects) if (o.key.startsWith(voices)) await this.#withdraw(o.key.slice(voices.length), job.user_key)
        await this.#bucket.delete(page.objects.map((o) => o.key))
        this.#sql.exec('UPDATE account_erasure SET objects_deleted = objects_deleted + ?, last_error = NULL, updated_at = ? WHERE id = 1', page.objects.length, now)
        return now
      }
      // A synthesis admitted before the deletion may still commit its recording: look again after it.
      if (leaseExpiry !== null) return Math.max(leaseExpiry, now + 1000)
      this.#wipe()
      this.#sql.exec('UPDATE account_erasure SET finished_at = ?, last_error = NULL, updated_at = ? WHERE id = 1', now, now)
      return null
    } catch (e) {
      const error = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 500)
      console.error(JSON.stringify({ level: 'error', job: job.job_id, erasure_error: error }))
      this.#sql.exec('UPDATE account_erasure SET last_error = ?, updated_at = ? WHERE id = 1', error, now)
      return now + RETRY_MS
    }
  }

  /**
   * Withdraws a published voice before its audio goes, so no pointer is left to nothing. The
   * pointer's format is voices/shared-voices.ts's: an empty object naming its owner's key.
   */
  async #withdraw(voiceId: string, userKey: string): Promise<void> {
    const pointer = await this.#bucket.head(sharedVoiceKey(voiceId))
    if (pointer?.customMetadata?.owner_key === userKey) await this.#bucket.delete(sharedVoiceKey(voiceId))
  }

  /** Deletes every row of every table of the object but the kept ones (SQLite's and Cloudflare's own are not ours). */
  #wipe(): void {
    const tables = this.#sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) != 'sqlite_' AND substr(name, 1, 4) != '_cf_'").toArray()
    for (const { name } of tables) if (!KEPT_TABLES.has(name)) this.#sql.exec(`DELETE FROM "${name.replace(/"/g, '""')}"`)
  }

  #row(): JobRow | undefined {
    return this.#sql.exec<JobRow>('SELECT job_id, user_key, objects_deleted, finished_at, last_error, updated_at FROM account_erasure WHERE id = 1').toArray()[0]
  }
}
