import { migrate } from '../sql/migrations'
import type { AbuseReason } from './abuse-reasons'
import type { OwnerIdentity } from './owner-identity'

export const TAKEDOWN_KINDS = ['audio', 'voice', 'share'] as const
export type TakedownKind = (typeof TAKEDOWN_KINDS)[number]

export type TakedownDetail = Record<string, string | number | boolean | null>

/** One object an admin took down: held as evidence until released or purged. Times in ms. */
export interface Takedown {
  kind: TakedownKind
  objectId: string
  /** The R2 key of an audio or voice (null for a share, which is a row, not an object). */
  objectKey: string | null
  reason: AbuseReason
  /** The admin's own words; never shown to the owner. */
  note: string | null
  takenAt: number
  /** The admin, as `sub` (and issuer when it is not the edge's). */
  takenBy: string
  /** Bytes lifted off the owner's storage quota while held; given back on release. */
  heldBytes: number
  /** What the object was when taken (a share's audio, expiry and counts; a voice's publication). */
  detail: TakedownDetail | null
  reportId: string | null
}

/** What an owner (and, without the reason, a visitor) is told about a takedown. */
export interface TakedownNotice {
  kind: TakedownKind
  objectId: string
  reason: AbuseReason
  takenAt: number
}

export type NewTakedown = Omit<Takedown, 'takenAt' | 'heldBytes'>

/** A takedown as the owner's Durable Object receives it (UserObject.takeDown). */
export interface TakedownRequest extends NewTakedown {
  /** Recorded so that reports of this user's shares name them (owner-identity.ts). */
  owner: OwnerIdentity
  /** How the owner's audit trail names the object: an id, or a share's ref (never a share id). */
  resource: string
  requestId: string
}

/** An admin acting on a hold, for the owner's audit trail. */
export interface AdminAct {
  by: string
  resource: string
  requestId: string
}

export type HoldResult = { ok: true; takedown: Takedown } | { ok: false; code: 'already_taken_down' | 'being_deleted' }

/** How a visitor's request for a held object, or one of a suspended account, is refused. */
export type HeldRefusal = 'taken_down' | 'not_available'

/**
 * An owner's delete is announced here before the object leaves R2, so that a takedown racing it
 * either holds the object first (the delete is refused) or sees the announcement (the takedown is
 * refused: the evidence is already going). An announcement whose delete crashed lapses after this.
 */
const DELETING_MS = 60_000

interface TakedownRow extends Record<string, SqlStorageValue> {
  seq: number
  kind: string
  object_id: string
  object_key: string | null
  reason: string
  note: string | null
  taken_at: number
  taken_by: string
  held_bytes: number
  detail: string | null
  report_id: string | null
}

/**
 * What an administrator has disabled of one user, in their Durable Object's SQLite storage:
 * single objects (takedowns), and the whole account's sharing (suspension, set by the accounts
 * work through UserObject.setSuspended). Every check a route makes is one read here, in the same
 * object that counts the user's shares, so a takedown holds everywhere from the moment it is
 * written, with no cache to expire.
 */
export class TakedownLedger {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'takedowns', [
      `CREATE TABLE IF NOT EXISTS takedowns (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, object_id TEXT NOT NULL, object_key TEXT,
        reason TEXT NOT NULL, note TEXT, taken_at INTEGER NOT NULL, taken_by TEXT NOT NULL,
        held_bytes INTEGER NOT NULL DEFAULT 0, detail TEXT, report_id TEXT, UNIQUE (kind, object_id));
      CREATE TABLE IF NOT EXISTS deleting (kind TEXT NOT NULL, object_id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (kind, object_id));
      CREATE TABLE IF NOT EXISTS suspension (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL, by TEXT NOT NULL);`,
    ])
  }

  /** Holds an object; `liftBytes` is called only when it is held, to take its bytes off the quota. */
  hold(t: NewTakedown, now: number, liftBytes: () => number): HoldResult {
    if (this.find(t.kind, t.objectId)) return { ok: false, code: 'already_taken_down' }
    const deleting = this.#sql.exec('SELECT 1 FROM deleting WHERE kind = ? AND object_id = ? AND at > ?', t.kind, t.objectId, now - DELETING_MS).toArray()
    if (deleting.length) return { ok: false, code: 'being_deleted' }
    const heldBytes = liftBytes()
    this.#sql.exec(
      'INSERT INTO takedowns (kind, object_id, object_key, reason, note, taken_at, taken_by, held_bytes, detail, report_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      t.kind,
      t.objectId,
      t.objectKey,
      t.reason,
      t.note,
      now,
      t.takenBy,
      heldBytes,
      t.detail ? JSON.stringify(t.detail) : null,
      t.reportId,
    )
    return { ok: true, takedown: this.find(t.kind, t.objectId)! }
  }

  find(kind: TakedownKind, objectId: string): Takedown | null {
    const row = this.#sql.exec<TakedownRow>('SELECT * FROM takedowns WHERE kind = ? AND object_id = ?', kind, objectId).toArray()[0]
    return row ? toTakedown(row) : null
  }

  /** The first of these objects that is held (e.g. a share, then the audio it shares), or null. */
  firstHeld(objects: readonly { kind: TakedownKind; objectId: string }[]): Takedown | null {
    for (const o of objects) {
      const found = this.find(o.kind, o.objectId)
      if (found) return found
    }
    return null
  }

  /** Which of these objects of one kind are held (for a listing page: one statement, any length). */
  among(kind: TakedownKind, objectIds: readonly string[]): TakedownNotice[] {
    return this.#sql
      .exec<TakedownRow>('SELECT * FROM takedowns WHERE kind = ? AND object_id IN (SELECT value FROM json_each(?))', kind, JSON.stringify(objectIds))
      .toArray()
      .map((r) => noticeOf(toTakedown(r)))
  }

  /** Ends a hold (release or purge) and returns what it was; null when the object was not held. */
  remove(kind: TakedownKind, objectId: string): Takedown | null {
    const row = this.#sql.exec<TakedownRow>('DELETE FROM takedowns WHERE kind = ? AND object_id = ? RETURNING *', kind, objectId).toArray()[0]
    return row ? toTakedown(row) : null
  }

  /** Newest first; `before` is the `seq` cursor of the previous page. */
  list(limit: number, before?: number): { takedowns: Takedown[]; next: number | null } {
    const rows = this.#sql.exec<TakedownRow>('SELECT * FROM takedowns WHERE seq < ? ORDER BY seq DESC LIMIT ?', before ?? Number.MAX_SAFE_INTEGER, limit + 1).toArray()
    const page = rows.slice(0, limit)
    return { takedowns: page.map(toTakedown), next: rows.length > limit ? page[page.length - 1]!.seq : null }
  }

  /** R2 keys of held objects: whatever deletes a user's data must leave these (the evidence). */
  heldKeys(): string[] {
    return this.#sql
      .exec<{ object_key: string }>('SELECT object_key FROM takedowns WHERE object_key IS NOT NULL ORDER BY seq')
      .toArray()
      .map((r) => r.object_key)
  }

  /**
   * The owner is about to delete this object: refused (the hold is returned) while it is held;
   * otherwise announced, so that a takedown arriving before the object is gone is refused.
   */
  announceDelete(kind: TakedownKind, objectId: string, now: number): Takedown | null {
    const held = this.find(kind, objectId)
    if (held) return held
    this.#sql.exec('DELETE FROM deleting WHERE at <= ?', now - DELETING_MS)
    this.#sql.exec('INSERT OR REPLACE INTO deleting (kind, object_id, at) VALUES (?, ?, ?)', kind, objectId, now)
    return null
  }

  suspend(by: string, now: number): void {
    this.#sql.exec('INSERT INTO suspension (id, at, by) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING', now, by)
  }

  unsuspend(): boolean {
    return this.#sql.exec('DELETE FROM suspension').rowsWritten > 0
  }

  suspended(): boolean {
    return this.#sql.exec('SELECT 1 FROM suspension').toArray().length > 0
  }
}

export const noticeOf = (t: Takedown): TakedownNotice => ({ kind: t.kind, objectId: t.objectId, reason: t.reason, takenAt: t.takenAt })

function toTakedown(r: TakedownRow): Takedown {
  return {
    kind: r.kind as TakedownKind,
    objectId: r.object_id,
    objectKey: r.object_key,
    reason: r.reason as AbuseReason,
    note: r.note,
    takenAt: r.taken_at,
    takenBy: r.taken_by,
    heldBytes: r.held_bytes,
    detail: r.detail ? (JSON.parse(r.detail) as TakedownDetail) : null,
    reportId: r.report_id,
  }
}
