import { migrate } from '../sql/migrations'
import { sharedVoiceKey, userPrefix, voicePrefix } from '../storage/keys'
import { log } from '../log/log'

/** R2 objects deleted per step (R2 deletes up to 1000 keys in one call; a step stays short). */
const BATCH = 500
/** After a failure (R2 unreachable), the next try. */
const RETRY_MS = 30_000
/**
 * Tables an erased object keeps: the tombstone that refuses the old tokens, this job, the schema,
 * and what an admin holds as evidence (takedown-ledger.ts: the holds, whose account they were, the
 * suspension that keeps the account's links "not available").
 */
const KEPT_TABLES = new Set(['account_gate', 'account_erasure', 'schema_versions', 'takedowns', 'owner_identity', 'suspension'])
/** Tables whose rows each belong to one R2 object (by this column): a held object's rows stay with it. */
const ROWS_OF_OBJECTS: Readonly<Record<string, string>> = { voice_transcripts: 'key' }

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
  /** The last key of the pass under way (R2 lists in key order), null at a pass's start. */
  pass_after: string | null
  pass_deleted: number
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
 * had published, and leaving the objects an admin holds as evidence (a takedown outlives the
 * account until it is released or purged). The batches make passes over the prefix in key order;
 * a pass that deleted something is followed by another (a synthesis admitted before the deletion
 * may have committed a recording behind it), and the job ends after a pass that found nothing to
 * delete while no such synthesis runs. Then every row of the object's own tables goes (usage, audit
 * trail, shares, sessions, revocations, keys), except the tombstone (account-gate.ts) that keeps
 * refusing the old credentials (the id is never reused, so it only ever meets old ones) and the
 * evidence.
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
        objects_deleted INTEGER NOT NULL DEFAULT 0, pass_after TEXT, pass_deleted INTEGER NOT NULL DEFAULT 0,
        started_at INTEGER NOT NULL, finished_at INTEGER, last_error TEXT, updated_at INTEGER NOT NULL)`,
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
   * `held`: R2 keys an admin holds as evidence, which stay.
   */
  async step(now: number, leaseExpiry: number | null, held: ReadonlySet<string>): Promise<number | null> {
    const job = this.#row()
    if (!job || job.finished_at !== null) return null
    try {
      const page = await this.#bucket.list({ prefix: userPrefix(job.user_key), limit: BATCH, ...(job.pass_after !== null ? { startAfter: job.pass_after } : {}) })
      if (page.objects.length > 0) {
        const doomed = page.objects.map((o) => o.key).filter((key) => !held.has(key))
        const voices = voicePrefix(job.user_key)
        for (const key of doomed) if (key.startsWith(voices)) await this.#withdraw(key.slice(voices.length), job.user_key)
        if (doomed.length) await this.#bucket.delete(doomed)
        this.#sql.exec(
          'UPDATE account_erasure SET objects_deleted = objects_deleted + ?1, pass_deleted = pass_deleted + ?1, pass_after = ?2, last_error = NULL, updated_at = ?3 WHERE id = 1',
          doomed.length,
          page.objects[page.objects.length - 1]!.key,
          now,
        )
        return now
      }
      // The end of a pass. Another pass if this one deleted something, or while a synthesis
      // admitted before the deletion may still commit its recording (then after it ends).
      if (job.pass_deleted > 0 || leaseExpiry !== null) {
        this.#sql.exec('UPDATE account_erasure SET pass_after = NULL, pass_deleted = 0, updated_at = ? WHERE id = 1', now)
        return leaseExpiry === null ? now : Math.max(leaseExpiry, now + 1000)
      }
      this.#wipe(held)
      this.#sql.exec('UPDATE account_erasure SET finished_at = ?, last_error = NULL, updated_at = ? WHERE id = 1', now, now)
      return null
    } catch (e) {
      const error = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 500)
      log.error({ job: job.job_id, erasure_error: error })
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
  #wipe(held: ReadonlySet<string>): void {
    const tables = this.#sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) != 'sqlite_' AND substr(name, 1, 4) != '_cf_'")
      .toArray()
    for (const { name } of tables) {
      if (KEPT_TABLES.has(name)) continue
      const table = `"${name.replace(/"/g, '""')}"`
      const column = Object.hasOwn(ROWS_OF_OBJECTS, name) ? ROWS_OF_OBJECTS[name] : undefined
      if (column && held.size) this.#sql.exec(`DELETE FROM ${table} WHERE "${column}" NOT IN (${[...held].map(() => '?').join(',')})`, ...held)
      else this.#sql.exec(`DELETE FROM ${table}`)
    }
  }

  #row(): JobRow | undefined {
    return this.#sql
      .exec<JobRow>('SELECT job_id, user_key, objects_deleted, pass_after, pass_deleted, finished_at, last_error, updated_at FROM account_erasure WHERE id = 1')
      .toArray()[0]
  }
}
