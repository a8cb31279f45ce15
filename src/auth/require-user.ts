import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { getConfig } from '../config/app-config'
import { ApiError } from '../http/api-error'
import type { Scope } from './principal'
import { InvalidTokenError, verifyAccessToken } from './verify-token'

const REALM = 'cosyvoice-edge'

/** RFC 6750 §3: the challenge a 401 or 403 carries. */
export function bearerChallenge(error: 'invalid_token' | 'insufficient_scope', description: string, scope?: string): string {
  const desc = description.replace(/["\\]/g, '')
  return `Bearer realm="${REALM}", error="${error}", error_description="${desc}"${scope ? `, scope="${scope}"` : ''}`
}

export function invalidToken(description: string, options: { internal?: string; cause?: unknown } = {}): ApiError {
  return new ApiError(401, 'invalid_token', description, {
    headers: { 'WWW-Authenticate': bearerChallenge('invalid_token', description) },
    ...options,
  })
}

/**
 * Verifies the bearer token and sets `user`. Tokens are only read from the Authorization header,
 * never from the query string (URLs end up in logs and Referer headers).
 */
export const requireUser = (options: { scope?: Scope; roles?: readonly string[] } = {}): MiddlewareHandler<AppEnv> => {
  const { scope, roles } = options
  return async function requireUser(c, next) {
    const config = getConfig(c.env)
    const header = c.req.header('authorization')
    const match = header ? /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header) : null
    if (!match) throw invalidToken(header ? 'malformed Authorization header' : 'missing bearer token')
    let user
    try {
      user = await verifyAccessToken(match[1]!, config)
    } catch (e) {
      if (e instanceof InvalidTokenError) throw invalidToken(e.reason, { internal: e.code, cause: e.cause })
      throw e
    }
    c.set('user', user)
    if (roles && !roles.includes(user.role)) throw insufficientScope(`this needs the ${roles.join(' or ')} role`, scope)
    if (scope && !user.scopes.has(scope)) throw insufficientScope(`this token lacks the "${scope}" scope`, scope)
    await next()
  }
}

export function insufficientScope(description: string, scope?: string): ApiError {
  return new ApiError(403, 'insufficient_scope', description, {
    headers: { 'WWW-Authenticate': bearerChallenge('insufficient_scope', description, scope) },
  })
}
