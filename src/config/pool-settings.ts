import type { Env } from '../env'
import { integerSetting, readSetting } from './setting'

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

/** Each setting's name and schema (default and range). */
const SETTINGS = {
  firstByteTimeoutMs: ['ORIGIN_FIRST_BYTE_TIMEOUT_MS', integerSetting(60_000, 100, 600_000, ' of milliseconds')],
  idleTimeoutMs: ['ORIGIN_IDLE_TIMEOUT_MS', integerSetting(30_000, 100, 600_000, ' of milliseconds')],
  queueTimeoutMs: ['ORIGIN_QUEUE_TIMEOUT_MS', integerSetting(30_000, 0, 300_000, ' of milliseconds')],
  queuePerUser: ['ORIGIN_QUEUE_PER_USER', integerSetting(10, 0, 10_000)],
  queueMax: ['ORIGIN_QUEUE_MAX', integerSetting(200, 0, 100_000)],
  breakerFailures: ['ORIGIN_BREAKER_FAILURES', integerSetting(3, 1, 1000)],
  breakerCooldownMs: ['ORIGIN_BREAKER_COOLDOWN_MS', integerSetting(30_000, 1000, 86_400_000, ' of milliseconds')],
} as const satisfies Record<keyof PoolSettings, readonly [keyof Env & string, ReturnType<typeof integerSetting>]>

/** Reads the ORIGIN_* settings; each must be an integer in its range or absent (the default). */
export function parsePoolSettings(env: Env): PoolSettings {
  const entries = Object.entries(SETTINGS).map(([key, [name, schema]]) => [key, readSetting(name, schema, env[name])])
  return Object.fromEntries(entries) as PoolSettings
}
