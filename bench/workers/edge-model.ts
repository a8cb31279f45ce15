/**
 * The edge (src/index.ts, unchanged) with its Durable Object namespaces behind the latency model
 * (latency-model.ts), plus two bench-only routes:
 * - `POST /__bench/model {"users": ms, "pool": ms}` sets the modelled round trips;
 * - `GET /__bench/counts` returns (and resets) the Durable Object calls made since the last read.
 * The bench also builds this file against an older commit's src/ (the "before" of a change).
 */
import app from '../../src/index'
import { modelled, setModel, takeCounts } from './latency-model'

export * from '../../src/index'

export default {
  async fetch(request: Request, env: Parameters<typeof app.fetch>[1], ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/__bench/model' && request.method === 'POST') return Response.json(setModel(await request.json()))
    if (url.pathname === '/__bench/counts') return Response.json(takeCounts())
    return app.fetch(request, modelled(env as { USERS: object; ORIGIN_POOL: object }), ctx)
  },
}
