import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { corsOrigins } from '../config/cors-origins'

/** How long a browser may reuse a preflight's answer (seconds); Chromium caps it at 2 hours. */
const PREFLIGHT_MAX_AGE = 7200
const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE'
const ALLOW_HEADERS = 'Authorization, Content-Type, X-CSRF-Token, Range, If-None-Match'
const EXPOSE_HEADERS =
  'X-Audio-Id, X-Request-Id, X-Sample-Rate, X-Channels, Server-Timing, Content-Location, Location, Retry-After, RateLimit, RateLimit-Policy, WWW-Authenticate, ETag, Content-Range'

/**
 * CORS for first-party front ends on other origins (CORS_ORIGINS). A listed origin gets itself
 * back in Access-Control-Allow-Origin with credentials (cookies and the bearer header); any other
 * origin gets no CORS header at all, so its browser keeps the response from its script. Never `*`.
 * A preflight is answered here (204) for anyone: only a listed origin's carries the permissions.
 */
export const cors = (): MiddlewareHandler<AppEnv> =>
  async function cors(c, next) {
    const origin = c.req.header('origin')
    const allowed = origin !== undefined && corsOrigins(c.env.CORS_ORIGINS).has(origin)
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method')) {
      const headers: Record<string, string> = { Vary: 'Origin', 'Cache-Control': 'no-store' }
      if (allowed) {
        Object.assign(headers, {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Credentials': 'true',
          'Access-Control-Allow-Methods': ALLOW_METHODS,
          'Access-Control-Allow-Headers': ALLOW_HEADERS,
          'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE),
        })
        delete headers['Cache-Control']
      }
      return c.body(null, 204, headers)
    }
    await next()
    // The answer depends on Origin whenever CORS is on: a shared cache must not mix them up.
    c.res.headers.append('Vary', 'Origin')
    if (allowed) {
      c.res.headers.set('Access-Control-Allow-Origin', origin)
      c.res.headers.set('Access-Control-Allow-Credentials', 'true')
      c.res.headers.set('Access-Control-Expose-Headers', EXPOSE_HEADERS)
    }
  }
