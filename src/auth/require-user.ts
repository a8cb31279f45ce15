import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { ApiError } from '../http/api-error'
import { insufficientScope, invalidToken } from '../http/bearer-challenge'
import { getAuthConfig } from './auth-config'
import { accessCookie, CSRF_HEADER, csrfValid, isSafeMethod } from './cookie-session'
import type { Principal, Scope } from './principal'
import { revocations } from './revocation-check'
import { InvalidTokenError, verifyAccessToken } from './verify-token'

export interface RequireUserOptions {
  scope?: Scope
  roles?: readonly string[]
  /**
   * Where revocation is checked (auth/revocation-check.ts). `cached` (default): here, against the
   * isolate's short-lived copy of the user's revocations. `at-admission`: the route promises to call
   * admitSynthesis before acting for the user, and the Durable Object checks it exactly there.
   */
  revocation?: 'cached' | 'at-admission'
}

/**
 * Verifies the caller's access token and sets `user`. The token comes from the Authorization
 * header or, for browsers, the `__Host-access` cookie (then unsafe methods need the CSRF token:
 * cookie-session.ts); never from the query string (URLs end up in logs and Referer headers).
 */
export const requireUser = (options: RequireUserOptions = {}): MiddlewareHandler<AppEnv> => {
  const { scope, roles, revocation = 'cached' } = options
  return async function requireUser(c, next) {
    const auth = await getAuthConfig(c.env)
    const header = c.req.header('authorization')
    const cookie = header ? undefined : accessCookie(c)
    let token: string
    if (header) {
      const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header)
      if (!match) throw invalidToken('malformed Authorization header')
      token = match[1]!
    } else if (cookie) {
      token = cookie
    } else {
      throw invalidToken('missing bearer token')
    }
    let user: Principal
    try {
      user = await verifyAccessToken(token, auth)
    } catch (e) {
      if (e instanceof InvalidTokenError) throw invalidToken(e.reason, { internal: e.code, cause: e.cause })
      throw e
    }
    if (cookie && !isSafeMethod(c.req.method) && !(await csrfValid(c.req.header(CSRF_HEADER), user.jti, auth.edge.hmacKey)))
      throw new ApiError(403, 'csrf_failed', `a cookie-authenticated ${c.req.method} needs the X-CSRF-Token header from login`)
    if (revocation === 'cached' && !(await revocations.isActive(c.env, user, auth.revocationCacheMs)))
      throw invalidToken('token revoked', { internal: 'revoked (isolate cache)' })
    c.set('user', user)
    if (roles && !roles.includes(user.role)) throw insufficientScope(`this needs the ${roles.join(' or ')} role`, scope)
    if (scope && !user.scopes.has(scope)) throw insufficientScope(`this token lacks the "${scope}" scope`, scope)
    await next()
  }
}
