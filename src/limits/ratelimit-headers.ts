import type { LimitSnapshot } from '../users/limit-types'

/**
 * IETF httpapi RateLimit header fields (draft-ietf-httpapi-ratelimit-headers, structured-field
 * syntax): `RateLimit-Policy` lists the quotas, `RateLimit` their current remaining units and
 * seconds to reset. Unlimited quotas are left out.
 */
export function rateLimitHeaders(limits: LimitSnapshot): Record<string, string> {
  const entries = [
    ['minute', limits.minute, 60],
    ['day', limits.day, 86400],
  ] as const
  const policy: string[] = []
  const state: string[] = []
  for (const [name, s, window] of entries) {
    if (s.limit === null) continue
    policy.push(`"${name}";q=${s.limit};w=${window}`)
    state.push(`"${name}";r=${s.remaining};t=${s.resetSeconds}`)
  }
  if (policy.length === 0) return {}
  return { 'RateLimit-Policy': policy.join(', '), RateLimit: state.join(', ') }
}
