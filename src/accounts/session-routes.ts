import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { revocations } from '../auth/revocation-check'
import { getConfig } from '../config/app-config'
import { notFound } from '../http/api-error'
import { userObject } from '../users/user-stub'
import { accountDirectory } from './account-directory'
import { accountView } from './account-view'

const noStore = { 'Cache-Control': 'private, no-store' }
const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/
const iso = (ms: number) => new Date(ms).toISOString()

/**
 * The caller's own account: `GET /auth/account` (their directory entry), `GET /auth/sessions`
 * (every login session that can still be refreshed: when it began, when it was last refreshed,
 * how its tokens are held, which one is this), `DELETE /auth/sessions/<id>` (ends one: its
 * refresh token stops working and its access tokens are revoked at once).
 */
export const sessionRoutes = new Hono<AppEnv>()
  .get('/auth/account', requireUser(), async (c) => {
    const user = c.get('user')
    const record = user.issuer === getConfig(c.env).jwt.issuer ? await (await accountDirectory(c.env)).byId(user.sub) : null
    if (!record) throw notFound('account')
    return c.json({ user: accountView(record.account, getConfig(c.env).tiers) }, 200, noStore)
  })

  .get('/auth/sessions', requireUser(), async (c) => {
    const user = c.get('user')
    const sessions = await userObject(c.env, user).listSessions()
    return c.json(
      {
        items: sessions.map((s) => ({
          id: s.id,
          current: s.id === user.sessionId,
          client: s.client,
          user_agent: s.userAgent,
          created_at: iso(s.createdAt),
          last_used_at: iso(s.lastUsedAt),
          expires_at: iso(s.expiresAt),
        })),
      },
      200,
      noStore,
    )
  })

  .delete('/auth/sessions/:id', requireUser(), async (c) => {
    const user = c.get('user')
    const id = c.req.param('id')
    const revoked = SESSION_ID.test(id) ? await userObject(c.env, user).endLiveSession(id) : null
    if (revoked === null) throw notFound('session')
    revocations.noteRevoked(user.key, { jtis: revoked })
    c.set('logFields', { action: 'auth.session_end', resource: id })
    return c.body(null, 204, noStore)
  })
