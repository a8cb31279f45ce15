import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { hashApiKey, isApiKeyId, newApiKey } from '../auth/api-key-format'
import { apiKeys } from '../auth/api-key-verify'
import { getAuthConfig } from '../auth/auth-config'
import { requireFreshAuth } from '../auth/fresh-auth'
import type { Principal, Scope } from '../auth/principal'
import { requireUser } from '../auth/require-user'
import { ApiError, notFound } from '../http/api-error'
import { insufficientScope } from '../http/bearer-challenge'
import { readJson } from '../http/read-json'
import { userObject } from '../users/user-stub'
import { parseApiKeyRequest } from './api-key-request'
import { apiKeyView } from './api-key-view'

const noStore = { 'Cache-Control': 'no-store' }

/**
 * A user's personal API keys: long-lived, scoped, revocable credentials for their programs, used
 * as `Authorization: Bearer cve_…` on every API route (auth/api-key-verify.ts).
 */
export const apiKeyRoutes = new Hono<AppEnv>()
  /**
   * `{name, scope?, ttl_seconds?}` → 201 `{id, key, prefix, name, scope, created_at, expires_at}`:
   * the only time the key is shown. Needs a login within the last 5 minutes (a key is not one, nor
   * is a token minted for someone by an admin), and never grants more than the token that asks:
   * its scopes are a subset of the token's; its role is the owner's whenever it is used.
   */
  .post('/v1/api-keys', requireUser(), requireFreshAuth(), async (c) => {
    const auth = await getAuthConfig(c.env)
    const user = c.get('user')
    // An edge token without a login session was minted for someone (POST /admin/tokens): a key
    // would outlive what its minter gave. Sessions come only from logins of directory accounts,
    // whose keys follow the account (its role, its closing: users/account-gate.ts).
    if (user.issuer === auth.edge.issuer && user.sessionId === undefined)
      throw new ApiError(403, 'login_required', 'API keys are made from a login (POST /auth/login), not from a minted token')
    const request = parseApiKeyRequest(await readJson(c, 4096))
    const grantable = keyScopesFor(user, auth.edge.issuer)
    const scopes = request.scopes ?? [...grantable]
    const beyond = scopes.filter((s) => !grantable.has(s))
    if (beyond.length) throw insufficientScope(`a key cannot have these scopes: ${beyond.join(' ')} (a key has at most your token's, and admin only for the edge's own admins)`)

    const { id, text } = newApiKey(user.key)
    const created = await userObject(c.env, user).createApiKey({
      id,
      hash: await hashApiKey(text),
      name: request.name,
      scope: scopes.join(' '),
      role: user.role,
      sub: user.sub,
      issuer: user.issuer,
      ttlMs: request.ttlSeconds * 1000,
    })
    if (!created) throw new ApiError(409, 'too_many_keys', 'you have as many live API keys as allowed: revoke one first')
    c.set('logFields', { action: 'api_key.create', resource: id, scope: created.scope })
    return c.json({ ...apiKeyView(created), key: text }, 201, noStore)
  })

  /** Your keys (name, prefix, scope, created, last used, expiry), newest first; never a key. */
  .get('/v1/api-keys', requireUser(), async (c) => {
    const keys = await userObject(c.env, c.get('user')).listApiKeys()
    const now = Date.now()
    return c.json({ items: keys.map((k) => apiKeyView(k, now)) }, 200, { 'Cache-Control': 'private, no-store' })
  })

  /**
   * Revokes a key: refused at once through this isolate and on synthesis, everywhere within
   * REVOCATION_CACHE_SECONDS. A key may revoke itself (a program that knows it leaked), no other.
   */
  .delete('/v1/api-keys/:id', requireUser(), async (c) => {
    const user = c.get('user')
    const id = c.req.param('id')
    if (user.apiKey !== undefined && user.apiKey !== id) throw insufficientScope('an API key may revoke only itself: use a login token')
    const revoked = isApiKeyId(id) ? await userObject(c.env, user).revokeApiKey(id) : null
    if (!revoked) throw notFound('API key')
    apiKeys.forget(user.key, id)
    c.set('logFields', { action: 'api_key.revoke', resource: id })
    return c.body(null, 204)
  })

/**
 * The scopes a key made by this caller may have: their token's, but `admin` only for the edge's own
 * users. An identity provider's user keeps the role their token had when the key was made (the
 * edge cannot see it change: auth/api-key-verify.ts), and a year-long admin nobody can demote is
 * not something to hand out; their admin work stays with their short-lived tokens.
 */
function keyScopesFor(user: Principal, edgeIssuer: string): ReadonlySet<Scope> {
  if (user.issuer === edgeIssuer) return user.scopes
  return new Set([...user.scopes].filter((s) => s !== 'admin'))
}
