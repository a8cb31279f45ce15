import * as v from 'valibot'
import type { Tier } from '../config/tiers'
import { badRequest } from '../http/api-error'

const TTL_MESSAGE = 'ttl_seconds must be a whole number of seconds, at least 1'

/** `ttl_seconds` of a link or share body; the tier's maximum is checked by linkTtl. */
export const TtlSeconds = v.optional(
  v.nullable(v.pipe(v.number(TTL_MESSAGE), v.integer(TTL_MESSAGE), v.minValue(1, TTL_MESSAGE), v.description("seconds the link lives, at most the tier's max_link_seconds"))),
)

/** A signed link lives 5 minutes unless asked otherwise (SPEC: short-lived). */
export const DEFAULT_LINK_SECONDS = 300

/**
 * Reads `ttl_seconds` for a link or a share: a whole number of seconds from 1 to the tier's
 * `maxLinkSeconds` (TIERS `max_link_seconds`). Asking for more is a 400 that names the maximum
 * rather than a silently shorter link. Without a value, `fallback` (capped by the tier) or a 400.
 */
export function linkTtl(value: number | null | undefined, tier: Tier, fallback?: number): number {
  if (value === undefined || value === null) {
    if (fallback === undefined) throw badRequest('ttl_seconds is required', 'invalid_request')
    return Math.min(fallback, tier.maxLinkSeconds)
  }
  if (value > tier.maxLinkSeconds) throw badRequest(`ttl_seconds may be at most ${tier.maxLinkSeconds} for your tier`, 'ttl_too_long')
  return value
}
