import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { ConfigError } from '../config/config-error'
import { ApiError } from '../http/api-error'

/** The `ANONYMOUS_LIMIT` window in wrangler.toml (`simple.period`), for Retry-After. */
const PERIOD_SECONDS = 10

/**
 * Per-IP brake on the routes that need no token (`/d/…`, `/s/…`, login and refresh), with Cloudflare's rate-limiting
 * binding. Its counts are per Cloudflare location and eventually consistent, which is fine here: it
 * only keeps one address from hammering R2 and the Durable Objects. Nothing depends on it for
 * security (link signatures and 128-bit share ids cannot be guessed at any rate; failed logins are
 * counted exactly per username and per address in Durable Objects) and exact download counts live
 * in the owner's Durable Object. The binding is required: without it the
 * anonymous routes answer a 500 naming it, never unlimited.
 */
export const anonymousRateLimit = (): MiddlewareHandler<AppEnv> =>
  async function anonymousRateLimit(c, next) {
    const limiter = c.env.ANONYMOUS_LIMIT
    if (!limiter) throw new ConfigError('the rate-limit binding ANONYMOUS_LIMIT is missing')
    // Set by Cloudflare's edge for every request; a client cannot forge it through Cloudflare.
    const ip = c.req.header('cf-connecting-ip') ?? 'unknown'
    const { success } = await limiter.limit({ key: ip })
    if (!success) {
      throw new ApiError(429, 'rate_limited', 'too many requests from your address: try again in a few seconds', { headers: { 'Retry-After': String(PERIOD_SECONDS) } })
    }
    await next()
  }
