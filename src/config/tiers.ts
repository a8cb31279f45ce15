import * as v from 'valibot'
import { ConfigError } from './config-error'
import { readNamedEntries } from './setting'

/** One role's limits. `null` means unlimited. */
export interface Tier {
  perMinute: number | null
  perDay: number | null
  concurrency: number | null
  maxChars: number
  storageBytes: number | null
  /** Longest signed download link a user of this tier may ask for, in seconds. */
  maxLinkSeconds: number
  /** How many cloned voices a user may keep (each also counts against `storageBytes`). */
  maxVoices: number | null
}

const DEFAULT_TIERS: Readonly<Record<string, Tier>> = {
  free: { perMinute: 10, perDay: 200, concurrency: 1, maxChars: 500, storageBytes: 100 * 1000 ** 2, maxLinkSeconds: 3600, maxVoices: 5 },
  premium: { perMinute: 60, perDay: 5000, concurrency: 4, maxChars: 5000, storageBytes: 10 * 1000 ** 3, maxLinkSeconds: 86400, maxVoices: 50 },
  admin: { perMinute: null, perDay: null, concurrency: null, maxChars: 20000, storageBytes: null, maxLinkSeconds: 7 * 86400, maxVoices: null },
}

const FIELDS: Record<keyof Tier, string> = {
  perMinute: 'per_minute',
  perDay: 'per_day',
  concurrency: 'concurrency',
  maxChars: 'max_chars',
  storageBytes: 'storage_bytes',
  maxLinkSeconds: 'max_link_seconds',
  maxVoices: 'max_voices',
}
const NULLABLE = new Set<keyof Tier>(['perMinute', 'perDay', 'concurrency', 'storageBytes', 'maxVoices'])

/** A role's name wherever one is configured (TIERS, AUTH_USERS): a simple lowercase name. */
export const ROLE_NAME = /^[a-z][a-z0-9_-]{0,31}$/

const limit = (nullable: boolean) => {
  const message = `must be a non-negative integer${nullable ? ' or null' : ''}`
  const count = v.pipe(v.number(message), v.integer(message), v.minValue(0, message))
  return v.optional(nullable ? v.nullable(count) : count)
}

/** One role's limits in TIERS: snake_case, each optional (what is left out keeps its base value). */
const TierLimits = v.pipe(
  v.unknown(),
  v.check((value) => !Array.isArray(value), 'must be an object'),
  v.strictObject(
    Object.fromEntries((Object.keys(FIELDS) as (keyof Tier)[]).map((field) => [FIELDS[field], limit(NULLABLE.has(field))])) as Record<string, ReturnType<typeof limit>>,
    (issue) => (issue.path ? `is not a known limit (${Object.values(FIELDS).join(', ')})` : 'must be an object'),
  ),
)

/**
 * Parses `TIERS`: a JSON object of role → partial limits in snake_case, merged over the defaults,
 * e.g. `{"free":{"per_minute":5},"team":{"per_day":1000}}`. A role that is not a default starts
 * from the free tier (a typo must never grant more).
 */
export function parseTiers(raw: string | undefined): Record<string, Tier> {
  const tiers: Record<string, Tier> = structuredClone({ ...DEFAULT_TIERS })
  if (!raw?.trim()) return tiers
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new ConfigError('TIERS is not valid JSON')
  }
  const entries = readNamedEntries('TIERS', parsed, TierLimits, { name: ROLE_NAME, nameMessage: 'is not a simple lowercase name', shape: 'must be a JSON object of role → limits' })
  for (const [role, limits] of entries) {
    // Own properties only: a role named "constructor" must start from free, not from Object's.
    const tier: Tier = { ...(Object.hasOwn(tiers, role) ? tiers[role]! : tiers.free!) }
    for (const field of Object.keys(FIELDS) as (keyof Tier)[]) {
      const value = limits[FIELDS[field]]
      if (value !== undefined) tier[field] = value as never
    }
    tiers[role] = tier
  }
  return tiers
}

/** Unknown roles get free rights, never more. */
export function tierFor(tiers: Record<string, Tier>, role: string): { name: string; tier: Tier } {
  const tier = Object.hasOwn(tiers, role) ? tiers[role] : undefined
  return tier ? { name: role, tier } : { name: 'free', tier: tiers.free! }
}
