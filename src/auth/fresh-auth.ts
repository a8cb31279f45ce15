import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { ApiError } from '../http/api-error'

/** How recent a login a sensitive operation needs, by default: 5 minutes. */
const FRESH_AUTH_SECONDS = 300

/**
 * For sensitive operations (deleting a voice, revoking every session): the token must come from a
 * login within `maxAgeSeconds` (its `auth_time`, else `iat`; a refreshed token keeps the login's
 * `auth_time`, so refreshing does not make it fresh). Otherwise 401 `reauth_required` with the
 * RFC 9470 step-up challenge, so a client knows to ask for the password again.
 *
 * Use after requireUser: `.delete('/v1/voices/:id', requireUser({scope: 'voices'}), requireFreshAuth(), handler)`.
 */
export const requireFreshAuth = (maxAgeSeconds = FRESH_AUTH_SECONDS): MiddlewareHandler<AppEnv> => {
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds <= 0) throw new TypeError('requireFreshAuth: maxAgeSeconds must be a positive integer')
  return async function requireFreshAuth(c, next) {
    const user = c.get('user')
    if (!user) throw new TypeError('requireFreshAuth must come after requireUser')
    const age = Date.now() / 1000 - (user.authTime ?? 0)
    // An API key is not a login, however recently it was made.
    if (user.apiKey !== undefined || user.authTime === undefined || age > maxAgeSeconds) {
      const description =
        user.apiKey !== undefined
          ? `an API key cannot do this: use a token from a login within the last ${maxAgeSeconds} seconds`
          : `this needs a login within the last ${maxAgeSeconds} seconds: log in again`
      throw new ApiError(401, 'reauth_required', description, {
        headers: { 'WWW-Authenticate': `Bearer realm="cosyvoice-edge", error="insufficient_user_authentication", error_description="${description}", max_age=${maxAgeSeconds}` },
      })
    }
    await next()
  }
}
