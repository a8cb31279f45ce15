import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { isApiKeyId } from '../auth/api-key-format'
import { apiKeys } from '../auth/api-key-verify'
import { actorOf } from '../auth/principal'
import { requireUser } from '../auth/require-user'
import { ownerFromQuery } from '../auth/target-user'
import { notFound } from '../http/api-error'
import { userObjectByKey } from '../users/user-stub'
import { apiKeyView } from './api-key-view'

/**
 * Admins list and revoke any user's keys, the user named as `/admin/audit` names them:
 * `?sub=<user>[&iss=<issuer>]` (default the admin's own issuer; an identity provider's admin
 * reaches only its own issuer's users). A revocation is written to the
 * owner's trail too, naming the admin (and the admin's key, if one was used).
 */
export const adminApiKeyRoutes = new Hono<AppEnv>()
  .get('/admin/api-keys', requireUser({ scope: 'admin', roles: ['admin'] }), async (c) => {
    const keys = await userObjectByKey(c.env, (await ownerFromQuery(c)).key).listApiKeys()
    const now = Date.now()
    return c.json({ items: keys.map((k) => apiKeyView(k, now)) }, 200, { 'Cache-Control': 'private, no-store' })
  })
  .delete('/admin/api-keys/:id', requireUser({ scope: 'admin', roles: ['admin'] }), async (c) => {
    const id = c.req.param('id')
    const owner = (await ownerFromQuery(c)).key
    const stub = userObjectByKey(c.env, owner)
    const revoked = isApiKeyId(id) ? await stub.revokeApiKey(id) : null
    if (!revoked) throw notFound('API key')
    apiKeys.forget(owner, id)
    await stub.recordAudit({ at: Date.now(), action: 'api_key.revoke', resource: id, status: 204, requestId: c.get('requestId'), actor: actorOf(c.get('user')) })
    c.set('logFields', { action: 'admin.api_key_revoke', resource: id, for_sub: revoked.sub })
    return c.body(null, 204)
  })
