import { describeRoutes, object } from '../http/route-doc'

export const poolDocs = describeRoutes({
  method: 'get', path: '/admin/origins', tag: 'admin', summary: 'The GPU origins: health, load, breaker, queue', auth: 'admin', scope: 'admin',
  responses: { 200: { description: 'The pool', json: object({ origins: { type: 'array', items: { type: 'object' } }, queue: {} }) } },
  errors: { 503: ['pool_unavailable'] },
})
