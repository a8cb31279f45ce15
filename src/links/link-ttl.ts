import type { Tier } from '../config/tiers'
import { badRequest } from '../http/api-error'

/** A signed link lives 5 minutes unless asked otherwise (SPEC: short-lived). */
export const DEFAULT_LINK_SECONDS = 300

/**
 * Reads `ttl_seconds` for a link or a share: a whole number of seconds from 1 to the tier's
 * `maxLinkSeconds` (TIERS `max_link_seconds`). Asking for more is a 400 that names the maximum
 * rather than a silently shorter link. Without a value, `fallback` (capped by the tier) or a 400.
 */
export function linkTtl(value: unknown, tier: Tier, fallback?: number): number {
  if (value === undefined || value === null) {
    if (fallback === undefined) throw badRequest('ttl_seconds is required', 'invalid_request')
    return Math.min(fallback, tier.maxLinkSeconds)
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw badRequest('ttl_seconds must be a whole number of seconds, at least 1', 'invalid_request')
  if (value > tier.maxLinkSeconds) throw badRequest(`ttl_seconds may be at most ${tier.maxLinkSeconds} for your tier`, 'ttl_too_long')
  return value
}
