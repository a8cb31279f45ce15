import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { ApiError } from '../http/api-error'
import { insufficientScope, invalidToken } from '../http/bearer-challenge'
import { looksLikeApiKey } from './api-key-format'
import { verifyApiKey } from './api-key-verify'
import { getAuthConfig } from './auth-config'
import { accessToken, sameOriginRequest } from './cloudflare-access'
import { accessCookie, CSRF_HEADER, csrfValid, isSafeMethod } from './cookie-session'
import type { AdminReach, Principal, Scope } from './principal'
import { revocations } from './revocation-check'
import { verifyRepeatedToken } from './verified-tokens'
import { InvalidTokenError } from './verify-token'

export interface RequireUserOptions {
  scope?: Scope
  roles?: readonly string[]
  /**
   * `all`: the caller must administer every user (principal.ts AdminReach): the edge's own admins,
   * not an identity provider's unless its entry says `"admin_reach": "all"`. For what acts beyond
   * one issuer's users, such as minting edge tokens.
   */
  reach?: Extract<AdminReach, 'all'>
  /**
   * Where revocation is checked (auth/revocation-check.ts). `cached` (default): here, against the
   * isolate's short-lived copy of the user's revocations. `at-admission`: the route promises to call
   * admitSynthesis before acting for the user, and the Durable Object checks it exactly there.
   */
  revocation?: 'cached' | 'at-admission'
}

/**
 * Verifies the caller's access token and sets `user`. The token comes from, in this order: the
 * Authorization header; for browsers, the `__Host-access` cookie (then unsafe methods need the CSRF
 * token: cookie-session.ts); and, only when TRUSTED_ISSUERS has a Cloudflare Access entry, the
 * `Cf-Access-Jwt-Assertion` header or the `CF_Authorization` cookie (cloudflare-access.ts), which
 * only that entry's tokens may use. Never from the query string (URLs end up in logs and Referer
 * headers). A personal API key (`cve_…`, api-key-verify.ts) stands for its owner within its
 * scopes, and only in the Authorization header: it is for programs, never a browser's cookie.
 */
export const requireUser = (options: RequireUserOptions = {}): MiddlewareHandler<AppEnv> => {
  const { scope, roles, reach, revocation = 'cached' } = options
  return async function requireUser(c, next) {
    const auth = await getAuthConfig(c.env)
    const header = c.req.header('authorization')
    const cookie = header ? undefined : accessCookie(c)
    const access = header || cookie || !auth.trustedIssuers.cloudflareAccess ? undefined : accessToken(c)
    let token: string
    if (header) {
      const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header)
      if (!match) throw invalidToken('malformed Authorization header')
      token = match[1]!
    } else if (cookie) {
      token = cookie
    } else if (access) {
      token = access.token
    } else {
      throw invalidToken('missing bearer token')
    }
    const apiKey = looksLikeApiKey(token)
    if (apiKey && !header) throw invalidToken('an API key is accepted only in the Authorization header')
    let user: Principal
    try {
      user = apiKey
        ? await verifyApiKey(c.env, token, auth, { revocation, client: c.req.header('cf-connecting-ip') ?? 'unknown' })
        : await verifyRepeatedToken(token, auth, Date.now(), { cloudflareAccessOnly: access !== undefined })
    } catch (e) {
      if (e instanceof InvalidTokenError) throw invalidToken(e.reason, { internal: e.detail ? `${e.code}: ${e.detail}` : e.code, cause: e.cause })
      throw e
    }
    if (cookie && !isSafeMethod(c.req.method) && !(await csrfValid(c.req.header(CSRF_HEADER), user.jti, auth.edge.hmacKey)))
      throw new ApiError(403, 'csrf_failed', `a cookie-authenticated ${c.req.method} needs the X-CSRF-Token header from login`)
    if (access?.from === 'cookie' && !isSafeMethod(c.req.method) && !sameOriginRequest(c))
      throw new ApiError(403, 'csrf_failed', `a ${c.req.method} authenticated by the CF_Authorization cookie must come from this origin`)
    // A key's verification checked its revocations already (from the same cache, or the object).
    if (revocation === 'cached' && !apiKey && !(await revocations.isActive(c.env, user, auth.revocationCacheMs)))
      throw invalidToken('token revoked', { internal: 'revoked (isolate cache)' })
    c.set('user', user)
    if (roles && !roles.includes(user.role)) throw insufficientScope(`this needs the ${roles.join(' or ')} role`, scope)
    if (reach === 'all' && user.adminReach !== 'all') throw insufficientScope("an identity provider's admin administers only its own issuer's users", scope)
    if (scope && !user.scopes.has(scope)) throw insufficientScope(`this token lacks the "${scope}" scope`, scope)
    await next()
  }
}
