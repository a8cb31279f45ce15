import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { ApiError, badRequest, notFound } from '../http/api-error'
import { listingQuery, rowCursor, TABLE_PAGE_MAX } from '../http/listing-query'
import { parseBody, readOptionalJson } from '../http/request-body'
import { moderationQueue } from './queue-stub'
import type { Report, ReportStatus } from './report-ledger'
import { reachOf, withinReach } from './report-reach'
import { ResolveBody } from './moderation-bodies'

const STATUSES = ['open', 'resolved', 'all'] as const

/**
 * The admin queue of reports from share pages: `GET /admin/reports` (newest first, `?status=open`
 * by default, `resolved` or `all`; paginated), `GET /admin/reports/<id>`, and
 * `POST /admin/reports/<id>/resolve {action, note?}`, which records what was done, by whom, once.
 * A takedown made with `report_id` resolves its report as `taken_down` (takedown-routes.ts).
 * An identity provider's admin (auth/admin-reach.ts) sees and resolves only reports about its own
 * issuer's users; any other report is "not found" to them.
 */
export const reportQueueRoutes = new Hono<AppEnv>()
  .use('/admin/reports', requireUser({ scope: 'admin', roles: ['admin'] }))
  .use('/admin/reports/*', requireUser({ scope: 'admin', roles: ['admin'] }))
  .get('/admin/reports', async (c) => {
    const status = c.req.query('status') ?? 'open'
    if (!(STATUSES as readonly string[]).includes(status)) throw badRequest(`status must be one of ${STATUSES.join(', ')}`, 'invalid_request')
    const { limit, cursor } = listingQuery(c, TABLE_PAGE_MAX)
    const filter = { status: status as ReportStatus | 'all', ownerIssuer: reachOf(c.get('user')) }
    const { reports, next } = await moderationQueue(c.env).listReports(filter, limit, rowCursor(cursor))
    return c.json({ items: reports.map(reportView), cursor: next === null ? null : String(next) }, 200, { 'Cache-Control': 'private, no-store' })
  })
  .get('/admin/reports/:id', async (c) => {
    const report = await moderationQueue(c.env).report(c.req.param('id').slice(0, 64))
    if (!report || !withinReach(c.get('user'), report)) throw notFound('report')
    return c.json(reportView(report), 200, { 'Cache-Control': 'private, no-store' })
  })
  .post('/admin/reports/:id/resolve', async (c) => {
    const id = c.req.param('id').slice(0, 64)
    const body = parseBody(ResolveBody, await readOptionalJson(c))
    const report = await moderationQueue(c.env).report(id)
    if (!report || !withinReach(c.get('user'), report)) throw notFound('report')
    const resolved = await moderationQueue(c.env).resolveReport(id, { action: body.action, note: body.note || null, by: c.get('user').sub })
    if (!resolved.ok && resolved.code === 'not_found') throw notFound('report')
    if (!resolved.ok) throw new ApiError(409, 'already_resolved', 'this report is already resolved')
    c.set('logFields', { action: 'report.resolve', resource: id, audit_detail: { resolution: body.action, share: resolved.report.shareRef } })
    return c.json(reportView(resolved.report), 200, { 'Cache-Control': 'no-store' })
  })

/** A report as admins see it: what was reported, by whom (a keyed hash), about whose share. */
function reportView(r: Report) {
  return {
    report_id: r.reportId,
    created_at: new Date(r.createdAt).toISOString(),
    status: r.status,
    reason: r.reason,
    details: r.details,
    reporter: r.reporter,
    share: { share_id: r.shareId, ref: r.shareRef, audio_id: r.audioId },
    owner: r.owner ? { sub: r.owner.sub, iss: r.owner.issuer } : null,
    resolution: r.resolution ? { action: r.resolution.action, note: r.resolution.note, by: r.resolution.by, at: new Date(r.resolution.at).toISOString() } : null,
  }
}
