import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'
import { newId } from '../storage/keys'
import { ReportLedger, type FileResult, type NewReport, type Report, type ReportStatus, type Resolution } from './report-ledger'

/**
 * The one place reports from share pages wait for an admin: a single Durable Object (named by
 * queue-stub.ts), not D1 and not the owners' objects. The admin queue lists every report newest
 * first, across all users, which needs one ordered table; the per-address flood limit must be
 * exact, which one serialising object gives for free. Reports are rare and each is a few small
 * SQLite statements, far below what one object serves, and the anonymous routes' per-address
 * brake sits in front of it. (The accounts' D1 database would also do, but it is someone else's
 * schema and its own deployment step; nothing here needs SQL across objects.)
 *
 * The ledger is `#private`: anything public on a Durable Object can be called over RPC.
 */
export class ModerationQueue extends DurableObject<Env> {
  readonly #reports: ReportLedger

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.#reports = new ReportLedger(ctx.storage.sql)
  }

  fileReport(report: NewReport): FileResult {
    return this.#reports.file(report, newId(), Date.now())
  }

  report(reportId: string): Report | null {
    return this.#reports.get(reportId)
  }

  listReports(filter: { status: ReportStatus | 'all'; ownerIssuer: string | null }, limit: number, before?: number) {
    return this.#reports.list(filter, limit, before)
  }

  resolveReport(reportId: string, resolution: Omit<Resolution, 'at'>) {
    return this.#reports.resolve(reportId, resolution, Date.now())
  }
}
