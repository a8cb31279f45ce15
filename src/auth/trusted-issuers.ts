import type { JWTVerifyGetKey } from 'jose'
import { ConfigError } from '../config/config-error'
import { remoteKeySet } from './remote-key-set'

/** Algorithms an external issuer may be allowed. No HMAC (a JWKS is public) and never `none`. */
const EXTERNAL_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const

export interface TrustedIssuer {
  issuer: string
  audience: string
  /** Dotted path of the claim holding the role (default `role`); no such claim → `free`. */
  roleClaim: string
  algorithms: string[]
  keys: JWTVerifyGetKey
}

/** Key sets live as long as the isolate, across config objects, so their caches are shared. */
const keySets = new Map<string, JWTVerifyGetKey>()

/**
 * Parses `TRUSTED_ISSUERS`: a JSON list of external identity providers whose tokens the edge
 * accepts, e.g. `[{"issuer":"https://idp.example","jwks_uri":"https://idp.example/jwks",
 * "audience":"cosyvoice","role_claim":"app.role","algorithms":["RS256"]}]`.
 *
 * - `jwks_uri` must be https (http only on loopback, for development and tests);
 * - `algorithms` defaults to `["RS256","ES256"]`, asymmetric only;
 * - `cooldown_seconds` (default 30): after a JWKS fetch, unknown `kid`s trigger no new fetch for
 *   this long (see remote-key-set.ts for how floods and outages are bounded);
 * - `cache_max_age_seconds` (default 600): keys are refetched when older than this.
 */
export function parseTrustedIssuers(raw: string | undefined, edgeIssuer: string): TrustedIssuer[] {
  if (!raw?.trim()) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new ConfigError('TRUSTED_ISSUERS is not valid JSON')
  }
  if (!Array.isArray(parsed)) throw new ConfigError('TRUSTED_ISSUERS must be a JSON list')
  const seen = new Set<string>([edgeIssuer])
  return parsed.map((entry: unknown, i): TrustedIssuer => {
    const at = `TRUSTED_ISSUERS[${i}]`
    if (typeof entry !== 'object' || entry === null) throw new ConfigError(`${at} must be an object`)
    const e = entry as Record<string, unknown>
    const issuer = requireString(e.issuer, `${at}.issuer`)
    if (seen.has(issuer)) throw new ConfigError(`${at}.issuer "${issuer}" is listed twice or is the edge's own JWT_ISSUER`)
    seen.add(issuer)
    const audience = requireString(e.audience, `${at}.audience`)
    const jwksUri = parseJwksUri(requireString(e.jwks_uri, `${at}.jwks_uri`), `${at}.jwks_uri`)
    const roleClaim = e.role_claim === undefined ? 'role' : requireString(e.role_claim, `${at}.role_claim`)
    const algorithms = e.algorithms === undefined ? ['RS256', 'ES256'] : e.algorithms
    if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((a) => EXTERNAL_ALGS.includes(a)))
      throw new ConfigError(`${at}.algorithms must be a non-empty list of ${EXTERNAL_ALGS.join(', ')}`)
    const cooldownMs = seconds(e.cooldown_seconds, 30, `${at}.cooldown_seconds`) * 1000
    const cacheMaxAgeMs = seconds(e.cache_max_age_seconds, 600, `${at}.cache_max_age_seconds`) * 1000
    const cacheKey = JSON.stringify([jwksUri.href, cooldownMs, cacheMaxAgeMs])
    let keys = keySets.get(cacheKey)
    if (!keys) {
      keys = remoteKeySet(jwksUri, { cooldownMs, cacheMaxAgeMs, timeoutMs: 5000 })
      keySets.set(cacheKey, keys)
    }
    return { issuer, audience, roleClaim, algorithms: algorithms as string[], keys }
  })
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || !value.trim()) throw new ConfigError(`${name} must be a non-empty string`)
  return value
}

function seconds(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 86400) throw new ConfigError(`${name} must be a number of seconds from 0 to 86400`)
  return value
}

function parseJwksUri(text: string, name: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ConfigError(`${name} is not a URL`)
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]'
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new ConfigError(`${name} must be https (http only on loopback)`)
  return url
}
