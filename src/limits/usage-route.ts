import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { getConfig } from '../config/app-config'
import { tierFor } from '../config/tiers'
import type { LimitState } from '../users/limit-types'
import { rateLimitHeaders } from './ratelimit-headers'
import { usageOf } from './user-limits'

/** `GET /v1/usage`: the caller's tier and, for each limit, used, remaining and when it resets. */
export const usageRoutes = new Hono<AppEnv>().get('/v1/usage', requireUser(), async (c) => {
  const user = c.get('user')
  const { name, tier } = tierFor(getConfig(c.env).tiers, user.role)
  const limits = await usageOf(c.env, user, tier)
  const now = Date.now()
  const view = (s: LimitState, resets: boolean) => ({
    limit: s.limit,
    used: s.used,
    remaining: s.remaining,
    ...(resets ? { resets_at: new Date(now + s.resetSeconds * 1000).toISOString() } : {}),
  })
  return c.json(
    {
      tier: name,
      syntheses_per_minute: view(limits.minute, limits.minute.used > 0),
      syntheses_per_day: view(limits.day, true),
      concurrent_syntheses: view(limits.concurrency, false),
      storage_bytes: view(limits.storage, false),
      max_characters: tier.maxChars,
    },
    200,
    { ...rateLimitHeaders(limits), 'Cache-Control': 'private, no-store' },
  )
})
