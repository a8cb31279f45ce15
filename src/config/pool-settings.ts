import { ConfigError } from './config-error'
import type { Env } from '../env'

/** How the edge treats its origins: timeouts, the admission queue and the circuit breaker. */
export interface PoolSettings {
  /** ORIGIN_FIRST_BYTE_TIMEOUT_MS, default 60 000: from the call to the first audio byte → 504 `origin_timeout`. */
  firstByteTimeoutMs: number
  /** ORIGIN_IDLE_TIMEOUT_MS, default 30 000: the longest gap between two chunks; the stream is then cut. */
  idleTimeoutMs: number
  /** ORIGIN_QUEUE_TIMEOUT_MS, default 30 000: the longest wait for a free slot → 503 `origins_busy`. */
  queueTimeoutMs: number
  /** ORIGIN_QUEUE_PER_USER, default 10: requests one user may have waiting at once. */
  queuePerUser: number
  /** ORIGIN_QUEUE_MAX, default 200: requests waiting in the whole pool. */
  queueMax: number
  /** ORIGIN_BREAKER_FAILURES, default 3: consecutive failures of the origin's own that take it out. */
  breakerFailures: number
  /** ORIGIN_BREAKER_COOLDOWN_MS, default 30 000: at most one canary per origin per cooldown; an origin that is out gets one after each. */
  breakerCooldownMs: number
}

const SETTINGS: Record<keyof PoolSettings, { name: keyof Env & string; fallback: number; min: number; max: number }> = {
  firstByteTimeoutMs: { name: 'ORIGIN_FIRST_BYTE_TIMEOUT_MS', fallback: 60_000, min: 100, max: 600_000 },
  idleTimeoutMs: { name: 'ORIGIN_IDLE_TIMEOUT_MS', fallback: 30_000, min: 100, max: 600_000 },
  queueTimeoutMs: { name: 'ORIGIN_QUEUE_TIMEOUT_MS', fallback: 30_000, min: 0, max: 300_000 },
  queuePerUser: { name: 'ORIGIN_QUEUE_PER_USER', fallback: 10, min: 0, max: 10_000 },
  queueMax: { name: 'ORIGIN_QUEUE_MAX', fallback: 200, min: 0, max: 100_000 },
  breakerFailures: { name: 'ORIGIN_BREAKER_FAILURES', fallback: 3, min: 1, max: 1000 },
  breakerCooldownMs: { name: 'ORIGIN_BREAKER_COOLDOWN_MS', fallback: 30_000, min: 1000, max: 86_400_000 },
}

/** Reads the ORIGIN_* settings; each must be an integer in its range or absent (the default). */
export function parsePoolSettings(env: Env): PoolSettings {
  const entries = Object.entries(SETTINGS).map(([key, { name, fallback, min, max }]) => {
    const raw = env[name]
    if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return [key, fallback]
    const value = Number(raw)
    if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}`)
    return [key, value]
  })
  return Object.fromEntries(entries) as PoolSettings
}
