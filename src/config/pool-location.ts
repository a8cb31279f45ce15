import { ConfigError } from './config-error'
import type { Env } from '../env'

/** Cloudflare's Durable Object location hints (developers.cloudflare.com: "Data location"). */
const LOCATION_HINTS: readonly DurableObjectLocationHint[] = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'apac-ne', 'apac-se', 'oc', 'afr', 'me']

/**
 * `ORIGIN_POOL_LOCATION`: where the origin pool's Durable Object should live, e.g. `enam` when the
 * GPUs are in eastern North America. Every synthesis waits one round trip to that object before its
 * first byte; placed next to the GPUs, that round trip is no longer than the one to the GPU that
 * every synthesis makes anyway. Unset: the object lives wherever the first request that used it
 * came from, possibly another continent. A hint only counts when the object is created (the first
 * call after a deploy with new ORIGINS), not for an object that already exists.
 */
export function parsePoolLocation(env: Env): DurableObjectLocationHint | undefined {
  const raw = env.ORIGIN_POOL_LOCATION?.trim()
  if (!raw) return undefined
  if (!(LOCATION_HINTS as readonly string[]).includes(raw)) throw new ConfigError(`ORIGIN_POOL_LOCATION must be one of ${LOCATION_HINTS.join(', ')}`)
  return raw as DurableObjectLocationHint
}
