import { ConfigError } from '../config/config-error'
import { accessTeam } from './cloudflare-access'
import { parseClaimPath, parseDottedPath, type ClaimPath } from './claim-path'
import { allowedFetchUrl } from './fetch-url'
import type { AdminReach } from './principal'

/**
 * Signature algorithms an external issuer may be allowed: every asymmetric JWS algorithm jose
 * knows. No HMAC (a JWKS is public: an HMAC "verified" with a public key proves nothing) and never
 * `none`. `EdDSA` and `Ed25519` (RFC 9864's fully-specified name, which newer providers write in
 * the header) are the same Ed25519 signature to jose: listing either allows both.
 */
export const EXTERNAL_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'ML-DSA-44', 'ML-DSA-65', 'ML-DSA-87'] as const

/** Where the standard OAuth claims carry scopes: `scope` (RFC 9068, a space-separated string) and `scp` (Okta, Entra ID). */
const STANDARD_SCOPE_CLAIMS: readonly ClaimPath[] = [['scope'], ['scp']]

const FIELDS = [
  'type',
  'issuer',
  'team_domain',
  'jwks_uri',
  'audience',
  'algorithms',
  'roles_claim',
  'role_claim',
  'role_map',
  'default_role',
  'scopes_claim',
  'admin_reach',
  'cooldown_seconds',
  'cache_max_age_seconds',
] as const

export interface RoleMapping {
  /** Where the IdP puts a user's roles (a string or a list of strings); undefined: not read. */
  claim: ClaimPath | undefined
  /** IdP role value → edge tier, in the order written: the first the token holds wins. */
  map: ReadonlyArray<readonly [string, string]>
  /** The tier of a user none of whose roles is mapped: `free` unless set, never `admin`. */
  fallback: string
}

export interface TrustedIssuer {
  /** `TRUSTED_ISSUERS[i]`: how logs and errors name the entry. */
  at: string
  issuer: string
  /** A token's `aud` must hold one of these. */
  audience: string[]
  algorithms: string[]
  /** A JWKS URL (given, or Cloudflare Access's), or OIDC discovery from the issuer. */
  keys: { jwksUri: URL } | { discover: true }
  roles: RoleMapping
  /** Claims that narrow the token's scopes (each one present must allow a scope); null: none read. */
  scopes: readonly ClaimPath[] | null
  adminReach: AdminReach
  cloudflareAccess: boolean
  cooldownMs: number
  cacheMaxAgeMs: number
}

/**
 * One TRUSTED_ISSUERS entry. Throws a ConfigError naming the field at fault; the caller keeps the
 * other entries (trusted-issuers.ts). Fields:
 *
 * - `issuer` (required): the exact `iss` of its tokens.
 * - `jwks_uri`: its keys; without it they are found by OIDC discovery from `issuer` (oidc-discovery.ts).
 *   Both must be https (http only on loopback).
 * - `audience` (required): a string or a list; a token's `aud` must hold one of them, so a token the
 *   IdP issued for another API is refused.
 * - `algorithms`: default `["RS256", "ES256"]`; any of EXTERNAL_ALGS.
 * - `roles_claim`: where the roles are (claim-path.ts: a name taken whole, a JSON pointer, or a list
 *   of keys). The legacy `role_claim` (a dotted path) is still read.
 * - `role_map`: `{"<IdP role>": "<edge tier>"}`. Only mapped roles count, the first one listed that
 *   the token holds wins, and nothing becomes `admin` unless mapped to it here. (JSON objects keep
 *   written order except for keys that are whole numbers, which come first.)
 * - `default_role`: the tier of users with no mapped role (default `free`; `admin` is refused).
 * - `scopes_claim`: where scopes are, or `false` to read none (every scope of the tier). Default:
 *   `scope` and `scp`, each as a space-separated string or a list. Auth0's RBAC: `"permissions"`.
 * - `admin_reach`: `"issuer"` (default): an admin of this IdP administers only this issuer's users
 *   and mints no edge tokens; `"all"`: it is an admin of the whole edge.
 * - `cooldown_seconds` (default 30), `cache_max_age_seconds` (default 600): how often the JWKS and
 *   the discovery document may be fetched, and how long they are kept (remote-key-set.ts).
 * - `type: "cloudflare_access"` with `team_domain` (instead of `issuer` and `jwks_uri`) and the
 *   application's AUD tag as `audience`: see cloudflare-access.ts.
 */
export function parseIssuerEntry(entry: unknown, at: string, tiers: Readonly<Record<string, unknown>>): TrustedIssuer {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigError(`${at} must be an object`)
  const e = entry as Record<string, unknown>
  const unknown = Object.keys(e).filter((k) => !(FIELDS as readonly string[]).includes(k))
  if (unknown.length) throw new ConfigError(`${at} has an unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${FIELDS.join(', ')})`)
  const type = e.type ?? 'oidc'
  if (type !== 'oidc' && type !== 'cloudflare_access') throw new ConfigError(`${at}.type must be "oidc" (the default) or "cloudflare_access"`)
  const cloudflareAccess = type === 'cloudflare_access'

  let issuer: string
  let keys: TrustedIssuer['keys']
  if (cloudflareAccess) {
    for (const field of ['issuer', 'jwks_uri'] as const)
      if (e[field] !== undefined) throw new ConfigError(`${at}.${field}: a cloudflare_access entry gives "team_domain" instead (its issuer and keys follow from it)`)
    const team = accessTeam(e.team_domain, `${at}.team_domain`)
    issuer = team.issuer
    keys = { jwksUri: team.certs }
  } else {
    if (e.team_domain !== undefined) throw new ConfigError(`${at}.team_domain belongs to "type": "cloudflare_access" entries`)
    issuer = requireString(e.issuer, `${at}.issuer`)
    if (e.jwks_uri !== undefined) {
      keys = { jwksUri: fetchUrl(requireString(e.jwks_uri, `${at}.jwks_uri`), `${at}.jwks_uri`) }
    } else {
      if (typeof allowedFetchUrl(issuer) === 'string') throw new ConfigError(`${at}.issuer must be an https URL to discover the keys from, or the entry needs jwks_uri`)
      keys = { discover: true }
    }
  }

  const audience = typeof e.audience === 'string' ? [e.audience] : e.audience
  if (!Array.isArray(audience) || audience.length === 0 || !audience.every((a) => typeof a === 'string' && a.trim()))
    throw new ConfigError(`${at}.audience must be a non-empty string or a non-empty list of them`)

  const algorithms = e.algorithms === undefined ? (cloudflareAccess ? ['RS256'] : ['RS256', 'ES256']) : e.algorithms
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new ConfigError(`${at}.algorithms must be a non-empty list`)
  const wrong = algorithms.find((a) => !(EXTERNAL_ALGS as readonly unknown[]).includes(a))
  if (wrong !== undefined) throw new ConfigError(`${at}.algorithms: ${JSON.stringify(wrong)} is not allowed (one of ${EXTERNAL_ALGS.join(', ')})`)
  const allowed = new Set(algorithms as string[])
  if (allowed.has('EdDSA') || allowed.has('Ed25519')) allowed.add('EdDSA').add('Ed25519')

  return {
    at,
    issuer,
    audience: audience as string[],
    algorithms: [...allowed],
    keys,
    roles: parseRoles(e, at, tiers),
    scopes: e.scopes_claim === false ? null : e.scopes_claim === undefined ? STANDARD_SCOPE_CLAIMS : [parseClaimPath(e.scopes_claim, `${at}.scopes_claim`)],
    adminReach: parseAdminReach(e.admin_reach, `${at}.admin_reach`),
    cloudflareAccess,
    cooldownMs: seconds(e.cooldown_seconds, 30, `${at}.cooldown_seconds`) * 1000,
    cacheMaxAgeMs: seconds(e.cache_max_age_seconds, 600, `${at}.cache_max_age_seconds`) * 1000,
  }
}

/** The entry's issuer as written, when the entry is too broken to parse (to route its tokens to the reason). */
export function issuerOfBrokenEntry(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined
  const e = entry as Record<string, unknown>
  if (typeof e.issuer === 'string') return e.issuer
  try {
    return e.type === 'cloudflare_access' ? accessTeam(e.team_domain, '').issuer : undefined
  } catch {
    return undefined
  }
}

function parseRoles(e: Record<string, unknown>, at: string, tiers: Readonly<Record<string, unknown>>): RoleMapping {
  if (e.roles_claim !== undefined && e.role_claim !== undefined) throw new ConfigError(`${at} gives both roles_claim and the older role_claim: keep roles_claim`)
  const claim =
    e.roles_claim !== undefined ? parseClaimPath(e.roles_claim, `${at}.roles_claim`) : e.role_claim !== undefined ? parseDottedPath(e.role_claim, `${at}.role_claim`) : undefined
  const isTier = (t: unknown): t is string => typeof t === 'string' && Object.hasOwn(tiers, t)
  const map: [string, string][] = []
  if (e.role_map !== undefined) {
    if (typeof e.role_map !== 'object' || e.role_map === null || Array.isArray(e.role_map)) throw new ConfigError(`${at}.role_map must be an object of IdP role → edge tier`)
    if (!claim) throw new ConfigError(`${at}.role_map needs roles_claim: where the IdP puts its roles`)
    for (const [value, tier] of Object.entries(e.role_map)) {
      if (!value) throw new ConfigError(`${at}.role_map has an empty role name`)
      if (!isTier(tier)) throw new ConfigError(`${at}.role_map["${value}"] must name a tier of TIERS (${Object.keys(tiers).join(', ')})`)
      map.push([value, tier])
    }
  }
  const fallback = e.default_role ?? 'free'
  if (!isTier(fallback)) throw new ConfigError(`${at}.default_role must name a tier of TIERS (${Object.keys(tiers).join(', ')})`)
  if (fallback === 'admin') throw new ConfigError(`${at}.default_role cannot be admin: map the IdP roles that are admins in role_map`)
  return { claim, map, fallback }
}

function parseAdminReach(value: unknown, name: string): AdminReach {
  if (value === undefined) return 'issuer'
  if (value === 'issuer' || value === 'all') return value
  throw new ConfigError(`${name} must be "issuer" (the default: its admins administer only its own users) or "all"`)
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || !value.trim()) throw new ConfigError(`${name} must be a non-empty string`)
  return value
}

function fetchUrl(text: string, name: string): URL {
  const url = allowedFetchUrl(text)
  if (typeof url === 'string') throw new ConfigError(`${name} ${url}`)
  return url
}

function seconds(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 86400) throw new ConfigError(`${name} must be a number of seconds from 0 to 86400`)
  return value
}
