import { describeRoutes, int, nullable, object, str } from '../http/route-doc'

const queuePlace = object({ position: int, ahead: int, waiting_since: str, estimate_seconds: nullable(int) })

export const poolDocs = describeRoutes(
  {
    method: 'get',
    path: '/v1/queue',
    tag: 'synthesis',
    summary: 'Your syntheses now waiting for a GPU: place in line and a rough wait',
    auth: 'user',
    responses: {
      200: { description: 'Your waiting requests (the rest of the queue only as a count)', json: object({ items: { type: 'array', items: queuePlace }, waiting: int }) },
    },
    errors: { 503: ['pool_unavailable'] },
  },
  {
    method: 'get',
    path: '/admin/origins',
    tag: 'admin',
    summary: 'The GPU origins: health, load, breaker, queue',
    auth: 'admin',
    scope: 'admin',
    responses: { 200: { description: 'The pool', json: object({ origins: { type: 'array', items: { type: 'object' } }, queue: {} }) } },
    errors: { 503: ['pool_unavailable'] },
  },
)
