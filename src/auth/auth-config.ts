import * as v from 'valibot'
import type { Env } from '../env'
import { getConfig } from '../config/app-config'
import { ConfigError } from '../config/config-error'
import { integerSetting, readNamedEntries, readSetting } from '../config/setting'
import { ROLE_NAME } from '../config/tiers'
import { log } from '../log/log'
import { parsePasswordHash, type PasswordHash } from './password-hash'
import { parseSigningKeys, type SigningKeys } from './signing-keys'
import { parseTrustedIssuers, type TrustedIssuers } from './trusted-issuers'

/** A user who may log in at /auth/login (from `AUTH_USERS`). */
export interface LoginUser {
  role: string
  password: PasswordHash
}

export interface AuthConfig {
  /**
   * The edge as an issuer: HS256 with JWT_SECRET, and SIGNING_JWK when set. `hmacKey` is JWT_SECRET
   * imported once, for tokens and CSRF tokens alike: handing jose raw bytes re-imports them on every
   * call (measured at twice the cost of the HMAC itself, docs/BENCHMARKS.md).
   */
  edge: { issuer: string; audience: string; hmacKey: CryptoKey; signing: SigningKeys | undefined }
  /** TRUSTED_ISSUERS: usable entries and broken ones (refused alone, see trusted-issuers.ts). */
  trustedIssuers: TrustedIssuers
  /** The legacy AUTH_USERS, read only to be imported into the account directory once. */
  users: ReadonlyMap<string, LoginUser>
  /** ACCESS_TTL: life of access tokens from login and refresh, seconds. Default 3600. */
  accessTtl: number
  /** REFRESH_TTL: life of a refresh-token family from its login, seconds. Default 30 days. */
  refreshTtl: number
  /** TOKEN_MINT_MAX_TTL: longest token POST /admin/tokens mints, seconds. Default 1 day. */
  mintMaxTtl: number
  /** REVOCATION_CACHE_SECONDS: how long an isolate trusts its copy of a user's revocations. Default 5. */
  revocationCacheMs: number
}

const cache = new WeakMap<Env, Promise<AuthConfig>>()

/**
 * The token service's settings, validated once per isolate (importing keys is async, hence a
 * promise). Errors are ConfigErrors naming the setting: a broken key or user list fails closed.
 */
export function getAuthConfig(env: Env): Promise<AuthConfig> {
  let config = cache.get(env)
  if (!config) {
    config = build(env)
    // A broken setting is reported on every request rather than cached as a rejected promise forever.
    config.catch(() => cache.delete(env))
    cache.set(env, config)
  }
  return config
}

async function build(env: Env): Promise<AuthConfig> {
  const { jwt, tiers } = getConfig(env)
  const trustedIssuers = parseTrustedIssuers(env.TRUSTED_ISSUERS, { edgeIssuer: jwt.issuer, tiers })
  // Loudly, once per isolate: each of the entry's refused tokens logs the reason again.
  for (const p of trustedIssuers.problems) log.error({ config_error: p.message, issuer: p.issuer })
  return {
    edge: {
      issuer: jwt.issuer,
      audience: jwt.audience,
      hmacKey: await crypto.subtle.importKey('raw', jwt.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']),
      signing: await parseSigningKeys(env.SIGNING_JWK, env.SIGNING_JWK_PREVIOUS),
    },
    trustedIssuers,
    users: parseUsers(env.AUTH_USERS),
    accessTtl: readSetting('ACCESS_TTL', seconds(3600, 60, 86400), env.ACCESS_TTL),
    refreshTtl: readSetting('REFRESH_TTL', seconds(30 * 86400, 300, 365 * 86400), env.REFRESH_TTL),
    mintMaxTtl: readSetting('TOKEN_MINT_MAX_TTL', seconds(86400, 60, 30 * 86400), env.TOKEN_MINT_MAX_TTL),
    revocationCacheMs: readSetting('REVOCATION_CACHE_SECONDS', seconds(5, 0, 60), env.REVOCATION_CACHE_SECONDS) * 1000,
  }
}

/**
 * `AUTH_USERS` (secret, legacy): `{"alice":{"role":"premium","password":"pbkdf2-sha256$100000$…$…"}}`,
 * the users before the account directory, which imports them once (accounts/legacy-import.ts).
 * Named AUTH_USERS because `USERS` is the binding of the per-user Durable Object.
 */
function parseUsers(raw: string | undefined): ReadonlyMap<string, LoginUser> {
  if (!raw?.trim()) return new Map()
  let parsed: unknown
  try {
    // The old `npm run user` escaped every `$` as `\$` in .dev.vars, and wrangler 4.86 keeps the
    // backslash. `\$` is no JSON escape and no hash contains a backslash, so it can only mean `$`.
    parsed = JSON.parse(raw.replace(/\\\$/g, '$'))
  } catch {
    throw new ConfigError('AUTH_USERS is not valid JSON')
  }
  const rules = { name: USERNAME, nameMessage: `is not a valid username (${USERNAME.source})`, shape: 'must be a JSON object of username → {role, password}' }
  return new Map(readNamedEntries('AUTH_USERS', parsed, LegacyUser, rules))
}

export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/

// Not strict: this secret is only read to be imported once, and an extra key in an old copy of it
// must not answer every request with a 500.
const LegacyUser = v.object(
  {
    password: v.pipe(
      v.string('must be a PBKDF2 hash string'),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const hash = parsePasswordHash(dataset.value)
        if (typeof hash !== 'string') return hash
        addIssue({ message: hash })
        return NEVER
      }),
    ),
    role: v.optional(v.pipe(v.string('must be a simple lowercase name'), v.regex(ROLE_NAME, 'must be a simple lowercase name')), 'free'),
  },
  (issue) => (issue.path ? 'must be a PBKDF2 hash string' : 'must be an object {role, password}'),
)

const seconds = (fallback: number, min: number, max: number) => integerSetting(fallback, min, max, ' of seconds')
