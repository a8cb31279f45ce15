import { migrate } from '../sql/migrations'

/** One thing a user did, or that was done to their data. */
export interface AuditEntry {
  at: number
  action: string
  resource?: string | null
  status: number
  requestId?: string | null
  /** Who did it when it was not the owner: an admin, or an anonymous share download (by IP hash). */
  actor?: string | null
  detail?: Record<string, string | number | boolean | null> | null
}

/** Entries kept per user; the oldest are dropped first. */
const AUDIT_RETENTION = 10_000

/** A user's audit trail, in their Durable Object's SQLite storage. */
export class AuditLog {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'audit', [
      `CREATE TABLE IF NOT EXISTS audit (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, action TEXT NOT NULL, resource TEXT,
      status INTEGER NOT NULL, request_id TEXT, actor TEXT, detail TEXT)`,
    ])
  }

  record(e: AuditEntry): void {
    const seq = this.#sql
      .exec<{ seq: number }>(
        'INSERT INTO audit (at, action, resource, status, request_id, actor, detail) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq',
        e.at,
        e.action,
        e.resource ?? null,
        e.status,
        e.requestId ?? null,
        e.actor ?? null,
        e.detail ? JSON.stringify(e.detail) : null,
      )
      .one().seq
    if (seq % 100 === 0) this.#sql.exec('DELETE FROM audit WHERE seq <= ?', seq - AUDIT_RETENTION)
  }

  /** Newest first; `before` is the `seq` cursor of the previous page. */
  list(limit: number, before?: number): { entries: (AuditEntry & { seq: number })[]; next: number | null } {
    const rows = this.#sql
      .exec<{ seq: number; at: number; action: string; resource: string | null; status: number; request_id: string | null; actor: string | null; detail: string | null }>(
        'SELECT * FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?',
        before ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray()
    const page = rows.slice(0, limit)
    return {
      entries: page.map((r) => ({
        seq: r.seq,
        at: r.at,
        action: r.action,
        resource: r.resource,
        status: r.status,
        requestId: r.request_id,
        actor: r.actor,
        detail: r.detail ? JSON.parse(r.detail) : null,
      })),
      next: rows.length > limit ? page[page.length - 1]!.seq : null,
    }
  }
}
