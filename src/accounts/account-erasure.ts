import { migrate } from '../sql/migrations'
import { userPrefix, voicePrefix } from '../storage/keys'
import { unpublishVoice } from '../voices/shared-voices'
import { UserDirectory } from './user-directory'

/** R2 objects deleted per step (R2 deletes up to 1000 keys in one call; a step stays short). */
const BATCH = 500
/** After a failure (R2 or D1 unreachable), the next try. */
const RETRY_MS = 30_000
/** Tables an erased object keeps: the tombstone that refuses the old tokens, this job, the schema. */
const KEPT_TABLES = new Set(['account_gate', 'account_erasure', 'schema_versions'])

type JobRow = {
  job_id: string
  user_key: string
  objects_deleted: number
  finished_at: number | null
  reported: number
}

/**
 * Erases a deleted account's data, driven by the alarm of the account's own Durable Object, so it
 * survives restarts and deploys: an alarm that did not finish runs again, each step is idempotent,
 * and progress is kept here and reported to the directory's `deletion_jobs` row.
 *
 * A step deletes one batch of R2 objects under `users/<key>/` (withdrawing any voice the user had
 * published first). Once the prefix is empty and no synthesis admitted before the deletion is still
 * running (it could still write its recording), every row of the object's own tables goes (usage,
 * audit trail, shares, sessions, revocations), except the tombstone (account-gate.ts) that keeps
 * refusing the old tokens: the id is never reused, so the tombstone only ever meets old credentials.
 */
export class AccountErasure {
  readonly #sql: SqlStorage
  readonly #bucket: R2Bucket
  readonly #db: D1Database | undefined

  constructor(sql: SqlStorage, bucket: R2Bucket, db: D1Database | undefined) {
    this.#sql = sql
    this.#bucket = bucket
    this.#db = db
    migrate(sql, 'account_erasure', [
      `CREATE TABLE IF NOT EXISTS account_erasure (
        id INTEGER PRIMARY KEY CHECK (id = 1), job_id TEXT NOT NULL, user_key TEXT NOT NULL,
        objects_deleted INTEGER NOT NULL DEFAULT 0, started_at INTEGER NOT NULL, finished_at INTEGER,
        reported INTEGER NOT NULL DEFAULT 0)`,
    ])
  }

  /** Takes the job on (again: idempotent). True while there is work or a report left to do. */
  begin(jobId: string, userKey: string, now: number): boolean {
    this.#sql.exec('INSERT INTO account_erasure (id, job_id, user_key, started_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING', jobId, userKey, now)
    return this.pending
  }

  get pending(): boolean {
    const job = this.#row()
    return job !== undefined && !job.reported
  }

  /**
   * One step of the job. Returns when the alarm should run the next one, or null when it is over.
   * `leaseExpiry`: when the last synthesis still running ends at the latest (null: none runs).
   */
  async step(now: number, leaseExpiry: number | null): Promise<number | null> {
    const job = this.#row()
    if (!job || job.reported) return null
    try {
      if (job.finished_at === null) {
        const page = await this.#bucket.list({ prefix: userPrefix(job.user_key), limit: BATCH })
        if (page.objects.length > 0) {
          const voices = voicePrefix(job.user_key)
          for (const o of page.objects) {
            // Withdrawn before its audio goes, so a published voice never points at nothing.
            if (o.key.startsWith(voices)) await unpublishVoice(this.#bucket, o.key.slice(voices.length), job.user_key)
          }
          await this.#bucket.delete(page.objects.map((o) => o.key))
          const deleted = job.objects_deleted + page.objects.length
          this.#sql.exec('UPDATE account_erasure SET objects_deleted = ? WHERE id = 1', deleted)
          await this.#directory().jobProgress(job.job_id, { objectsDeleted: deleted, done: false, error: null, now })
          return now
        }
        // A synthesis admitted before the deletion may still commit its recording: look again after it.
        if (leaseExpiry !== null) return Math.max(leaseExpiry, now + 1000)
        this.#wipe()
        this.#sql.exec('UPDATE account_erasure SET finished_at = ? WHERE id = 1', now)
      }
      await this.#directory().jobProgress(job.job_id, { objectsDeleted: job.objects_deleted, done: true, error: null, now })
      this.#sql.exec('UPDATE account_erasure SET reported = 1 WHERE id = 1')
      return null
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
      console.error(JSON.stringify({ level: 'error', job: job.job_id, erasure_error: error }))
      await this.#directory()
        .jobProgress(job.job_id, { objectsDeleted: job.objects_deleted, done: false, error: error.slice(0, 500), now })
        .catch(() => {})
      return now + RETRY_MS
    }
  }

  /** Deletes every row of every table of the object but the kept ones (SQLite's and Cloudflare's own are not ours). */
  #wipe(): void {
    const tables = this.#sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) != 'sqlite_' AND substr(name, 1, 4) != '_cf_'").toArray()
    for (const { name } of tables) if (!KEPT_TABLES.has(name)) this.#sql.exec(`DELETE FROM "${name.replace(/"/g, '""')}"`)
  }

  #directory(): UserDirectory {
    if (!this.#db) throw new Error('the D1 binding DB is missing')
    return new UserDirectory(this.#db)
  }

  #row(): JobRow | undefined {
    return this.#sql.exec<JobRow>('SELECT job_id, user_key, objects_deleted, finished_at, reported FROM account_erasure WHERE id = 1').toArray()[0]
  }
}
