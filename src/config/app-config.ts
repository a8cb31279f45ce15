import type { Env } from '../env'
import { ConfigError } from './config-error'
import { parseOrigins, type OriginConfig } from './origins'
import { parseTiers, type Tier } from './tiers'
import { parsePoolSettings, type PoolSettings } from './pool-settings'
import { parsePoolLocation } from './pool-location'

export interface AppConfig {
  jwt: { secret: Uint8Array; issuer: string; audience: string }
  origins: OriginConfig[]
  originSecret: string
  pool: PoolSettings
  /** ORIGIN_POOL_LOCATION: where the pool's Durable Object is created (config/pool-location.ts). */
  poolLocation: DurableObjectLocationHint | undefined
  tiers: Record<string, Tier>
}

const MIN_SECRET_BYTES = 32
const cache = new WeakMap<Env, AppConfig>()

/**
 * Reads and validates every setting once per isolate. Throws ConfigError naming the setting at
 * fault, which the error handler turns into a 500: a missing secret must never mean "no auth".
 */
export function getConfig(env: Env): AppConfig {
  let config = cache.get(env)
  if (!config) {
    config = {
      jwt: {
        secret: requireSecret(env.JWT_SECRET, 'JWT_SECRET'),
        issuer: env.JWT_ISSUER?.trim() || 'cosyvoice-edge',
        audience: env.JWT_AUDIENCE?.trim() || 'cosyvoice-edge',
      },
      origins: parseOrigins(env.ORIGINS),
      originSecret: new TextDecoder().decode(requireSecret(env.ORIGIN_SECRET, 'ORIGIN_SECRET')),
      pool: parsePoolSettings(env),
      poolLocation: parsePoolLocation(env),
      tiers: parseTiers(env.TIERS),
    }
    if (!env.AUDIO) throw new ConfigError('the R2 binding AUDIO is missing')
    if (!env.USERS) throw new ConfigError('the Durable Object binding USERS is missing')
    if (!env.ORIGIN_POOL) throw new ConfigError('the Durable Object binding ORIGIN_POOL is missing')
    cache.set(env, config)
  }
  return config
}

export function requireSecret(value: string | undefined, name: string): Uint8Array {
  if (!value) throw new ConfigError(`${name} is not set`)
  const bytes = new TextEncoder().encode(value)
  if (bytes.length < MIN_SECRET_BYTES) throw new ConfigError(`${name} must be at least ${MIN_SECRET_BYTES} bytes`)
  return bytes
}
