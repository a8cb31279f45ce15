import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { getConfig } from '../config/app-config'
import { poolPolicy, poolStub } from './pool-client'

/**
 * `GET /admin/origins` (admin): each origin's breaker state, slots in use, time to first byte
 * (p50/p95 over its last 200 syntheses) and recent errors, and the pool's queue. The queue is one
 * for the pool, not per origin: a waiting request takes whichever origin frees a slot first.
 */
export const poolRoutes = new Hono<AppEnv>().get('/admin/origins', requireUser({ scope: 'admin', roles: ['admin'] }), async (c) => {
  const config = getConfig(c.env)
  const status = await (await poolStub(c.env, config.origins, config.poolLocation)).status(poolPolicy(config))
  return c.json(
    {
      origins: status.origins.map((o, i) => ({ ...o, model: config.origins[i]!.model })),
      queue: status.queue,
    },
    200,
    { 'Cache-Control': 'no-store' },
  )
})
