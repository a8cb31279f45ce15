import { describeRoutes, int, nullable, object, str, time } from '../http/route-doc'

const limit = (resets: 'always' | 'sometimes' | 'never') =>
  object({ limit: nullable(int), used: int, remaining: nullable(int), ...(resets === 'never' ? {} : { resets_at: time }) }, resets === 'sometimes' ? ['resets_at'] : [])

export const limitsDocs = describeRoutes({
  method: 'get',
  path: '/v1/usage',
  tag: 'usage',
  summary: 'Your tier and, for each limit, used, remaining and when it resets',
  auth: 'user',
  responses: {
    200: {
      description: 'Usage',
      json: object({
        tier: str,
        syntheses_per_minute: limit('sometimes'),
        syntheses_per_day: limit('always'),
        concurrent_syntheses: limit('never'),
        storage_bytes: limit('never'),
        max_characters: int,
      }),
      headers: { RateLimit: 'draft-ietf-httpapi-ratelimit-headers', 'RateLimit-Policy': 'the limits' },
    },
  },
})
