import { Hono, type Context } from 'hono'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { ownerFromQuery } from '../auth/target-user'
import { userObjectByKey } from '../users/user-stub'
import { listingQuery, rowCursor, TABLE_PAGE_MAX } from '../http/listing-query'

async function page(c: Context<AppEnv>, key: string) {
  const { limit, cursor } = listingQuery(c, TABLE_PAGE_MAX)
  const before = rowCursor(cursor)
  const { entries, next } = await userObjectByKey(c.env, key).listAudit(limit, before)
  return c.json(
    {
      items: entries.map((e) => ({
        at: new Date(e.at).toISOString(),
        action: e.action,
        resource: e.resource,
        status: e.status,
        request_id: e.requestId,
        actor: e.actor,
        detail: e.detail,
      })),
      cursor: next === null ? null : String(next),
    },
    200,
    { 'Cache-Control': 'private, no-store' },
  )
}

/** The audit trail: `GET /v1/audit` for your own, `GET /admin/audit?sub=` for an admin. */
export const auditRoutes = new Hono<AppEnv>()
  // Your trail describes your audio and shares: a token narrowed away from them cannot read it.
  .get('/v1/audit', requireUser({ scope: 'audio' }), (c) => page(c, c.get('user').key))
  .get('/admin/audit', requireUser({ scope: 'admin', roles: ['admin'] }), async (c) => {
    return page(c, (await ownerFromQuery(c)).key)
  })
