import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { getConfig } from '../config/app-config'
import { poolPolicy, poolStub } from './pool-client'

/**
 * `GET /v1/queue` (any scope): the caller's requests now waiting for a GPU, each with its place in
 * line and a rough wait, so a client can show the wait that precedes a synthesis's first byte.
 * Only the caller's own requests; the rest of the queue only as a count.
 *
 * `GET /admin/origins` (admin): each origin's breaker state (and why it is out), slots in use, time
 * to first byte (p50/p95 over its last 200 syntheses), recent errors, its canary and the suspicions
 * it settled (each with its verdict and why), and the pool's queue. The queue is one
 * for the pool, not per origin: a waiting request takes whichever origin frees a slot first.
 */
export const poolRoutes = new Hono<AppEnv>()
  .get('/v1/queue', requireUser(), async (c) => {
    const config = getConfig(c.env)
    const queue = await (await poolStub(c.env, config.origins, config.poolLocation)).waitingFor(poolPolicy(config), c.get('user').key)
    return c.json(queue, 200, { 'Cache-Control': 'no-store' })
  })
  .get('/admin/origins', requireUser({ scope: 'admin', roles: ['admin'] }), async (c) => {
    const config = getConfig(c.env)
    const status = await (await poolStub(c.env, config.origins, config.poolLocation)).status(poolPolicy(config))
    return c.json(
      {
        origins: status.origins.map((o, i) => ({ ...o, model: config.origins[i]!.model, speakers: config.origins[i]!.speakers })),
        queue: status.queue,
      },
      200,
      { 'Cache-Control': 'no-store' },
    )
  })
