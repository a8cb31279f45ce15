import { migrate } from '../sql/migrations'
import type { AbuseReason } from '../users/abuse-reasons'
import type { OwnerIdentity } from '../users/owner-identity'

export const REPORT_ACTIONS = ['taken_down', 'dismissed', 'duplicate'] as const
export type ReportAction = (typeof REPORT_ACTIONS)[number]

export type ReportStatus = 'open' | 'resolved'

/** What a visitor's report says, and what the edge adds: the share's audio and owner. */
export interface NewReport {
  shareId: string
  shareRef: string
  audioId: string
  /** Null for a share made before owners were recorded (users/owner-identity.ts). */
  owner: OwnerIdentity | null
  reason: AbuseReason
  details: string | null
  /** A keyed hash of the reporter's address (reporter-address.ts): tells reporters apart, names nobody. */
  reporter: string
}

export interface Resolution {
  action: ReportAction
  note: string | null
  by: string
  at: number
}

export interface Report extends NewReport {
  reportId: string
  createdAt: number
  status: ReportStatus
  resolution: Resolution | null
}

export type FileResult = { ok: true; report: Report; duplicate: boolean } | { ok: false; code: 'rate_limited'; retryAfterSeconds: number } | { ok: false; code: 'queue_full' }

/**
 * How many reports one address may file: a person reporting what they received needs a few; a
 * flood needs many. Counted here, exactly (one object serialises every report), on top of the
 * anonymous routes' per-address brake (limits/anonymous-limit.ts), which is approximate and
 * allows hundreds an hour. A repeat report of the same share by the same address while the first
 * is open is answered like a new one but stored and counted once.
 */
export const REPORT_LIMITS = [
  { windowMs: 3_600_000, max: 5 },
  { windowMs: 86_400_000, max: 20 },
] as const

/** Open reports the queue holds at most: many addresses flooding it cannot grow it without bound. */
export const MAX_OPEN_REPORTS = 10_000

/** Resolved reports are kept this long (the owners' and admins' audit trails keep the takedowns). */
const RESOLVED_KEEP_MS = 365 * 86_400_000

interface ReportRow extends Record<string, SqlStorageValue> {
  seq: number
  id: string
  created_at: number
  share_id: string
  share_ref: string
  audio_id: string
  owner_issuer: string | null
  owner_sub: string | null
  reason: string
  details: string | null
  reporter: string
  status: string
  action: string | null
  resolution_note: string | null
  resolved_by: string | null
  resolved_at: number | null
}

/** The admin queue of reports from share pages, in the moderation Durable Object's SQLite storage. */
export class ReportLedger {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'reports', [
      `CREATE TABLE IF NOT EXISTS reports (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
        share_id TEXT NOT NULL, share_ref TEXT NOT NULL, audio_id TEXT NOT NULL, owner_issuer TEXT, owner_sub TEXT,
        reason TEXT NOT NULL, details TEXT, reporter TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open',
        action TEXT, resolution_note TEXT, resolved_by TEXT, resolved_at INTEGER);
      CREATE INDEX IF NOT EXISTS reports_by_reporter ON reports (reporter, created_at);
      CREATE INDEX IF NOT EXISTS reports_by_status ON reports (status, seq);`,
    ])
  }

  file(r: NewReport, reportId: string, now: number): FileResult {
    const repeat = this.#sql.exec<ReportRow>("SELECT * FROM reports WHERE share_id = ? AND reporter = ? AND status = 'open'", r.shareId, r.reporter).toArray()[0]
    if (repeat) return { ok: true, report: toReport(repeat), duplicate: true }
    for (const limit of REPORT_LIMITS) {
      const recent = this.#sql
        .exec<{ n: number; oldest: number | null }>(
          'SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM reports WHERE reporter = ? AND created_at > ?',
          r.reporter,
          now - limit.windowMs,
        )
        .one()
      if (recent.n >= limit.max) return { ok: false, code: 'rate_limited', retryAfterSeconds: Math.max(1, Math.ceil(((recent.oldest ?? now) + limit.windowMs - now) / 1000)) }
    }
    if (this.#openCount() >= MAX_OPEN_REPORTS) return { ok: false, code: 'queue_full' }
    this.#sql.exec("DELETE FROM reports WHERE status = 'resolved' AND resolved_at < ?", now - RESOLVED_KEEP_MS)
    this.#sql.exec(
      'INSERT INTO reports (id, created_at, share_id, share_ref, audio_id, owner_issuer, owner_sub, reason, details, reporter) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      reportId,
      now,
      r.shareId,
      r.shareRef,
      r.audioId,
      r.owner?.issuer ?? null,
      r.owner?.sub ?? null,
      r.reason,
      r.details,
      r.reporter,
    )
    return { ok: true, report: this.get(reportId)!, duplicate: false }
  }

  get(reportId: string): Report | null {
    const row = this.#sql.exec<ReportRow>('SELECT * FROM reports WHERE id = ?', reportId).toArray()[0]
    return row ? toReport(row) : null
  }

  /**
   * Newest first, of one status or all; `before` is the `seq` cursor of the previous page.
   * `ownerIssuer` keeps only reports about that issuer's users (an identity provider's admin).
   */
  list(filter: { status: ReportStatus | 'all'; ownerIssuer: string | null }, limit: number, before?: number): { reports: Report[]; next: number | null } {
    const { status, ownerIssuer } = filter
    const rows = this.#sql
      .exec<ReportRow>(
        "SELECT * FROM reports WHERE seq < ? AND (? = 'all' OR status = ?) AND (? IS NULL OR owner_issuer = ?) ORDER BY seq DESC LIMIT ?",
        before ?? Number.MAX_SAFE_INTEGER,
        status,
        status,
        ownerIssuer,
        ownerIssuer,
        limit + 1,
      )
      .toArray()
    const page = rows.slice(0, limit)
    return { reports: page.map(toReport), next: rows.length > limit ? page[page.length - 1]!.seq : null }
  }

  /** Records what was done about a report; once only, so the record of who decided stays true. */
  resolve(reportId: string, resolution: Omit<Resolution, 'at'>, now: number): { ok: true; report: Report } | { ok: false; code: 'not_found' | 'already_resolved' } {
    const found = this.get(reportId)
    if (!found) return { ok: false, code: 'not_found' }
    if (found.status === 'resolved') return { ok: false, code: 'already_resolved' }
    this.#sql.exec(
      "UPDATE reports SET status = 'resolved', action = ?, resolution_note = ?, resolved_by = ?, resolved_at = ? WHERE id = ?",
      resolution.action,
      resolution.note,
      resolution.by,
      now,
      reportId,
    )
    return { ok: true, report: this.get(reportId)! }
  }

  #openCount(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM reports WHERE status = 'open'").one().n
  }
}

function toReport(r: ReportRow): Report {
  return {
    reportId: r.id,
    createdAt: r.created_at,
    shareId: r.share_id,
    shareRef: r.share_ref,
    audioId: r.audio_id,
    owner: r.owner_sub !== null && r.owner_issuer !== null ? { issuer: r.owner_issuer, sub: r.owner_sub } : null,
    reason: r.reason as AbuseReason,
    details: r.details,
    reporter: r.reporter,
    status: r.status as ReportStatus,
    resolution:
      r.status === 'resolved' && r.action !== null ? { action: r.action as ReportAction, note: r.resolution_note, by: r.resolved_by ?? '', at: r.resolved_at ?? 0 } : null,
  }
}
