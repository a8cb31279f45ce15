import { ConfigError } from '../config/config-error'
import type { Env } from '../env'
import { ApiError } from '../http/api-error'
import { apiKeyTokenRef, type ApiKey } from '../users/api-key-ledger'
import { userObjectByKey } from '../users/user-stub'
import { hashApiKey, parseApiKey } from './api-key-format'
import type { AuthConfig } from './auth-config'
import type { Principal, Scope } from './principal'
import { revocations } from './revocation-check'
import { InvalidTokenError, parseScopes } from './verify-token'

/** Upper bound on keys remembered per isolate, so a flood of distinct keys can't grow memory. */
const MAX_ENTRIES = 10_000

/** Seconds a client told to slow down waits (the ANONYMOUS_LIMIT window, wrangler.toml). */
const BRAKE_RETRY_SECONDS = 10

interface Entry {
  /** Null: no usable key has this hash (unknown, revoked or expired when asked). */
  key: ApiKey | null
  userKey: string
  until: number
}

/**
 * This isolate's copy of the keys it has verified, by the SHA-256 of the key's text (never the
 * text), each kept at most REVOCATION_CACHE_SECONDS. Refusals are kept too: a hash nobody holds a
 * usable key for cannot become one (a new key has a new random secret).
 */
class ApiKeyCache {
  readonly #entries = new Map<string, Entry>()
  /** `<user key>/<key id>` → hash, so a revocation made here finds the entry to drop. */
  readonly #byId = new Map<string, string>()

  get(hash: string, now: number): Entry | undefined {
    const entry = this.#entries.get(hash)
    if (entry && entry.until <= now) {
      this.#drop(hash)
      return undefined
    }
    return entry
  }

  remember(hash: string, entry: Entry): void {
    if (!this.#entries.has(hash) && this.#entries.size >= MAX_ENTRIES) this.#drop(this.#entries.keys().next().value!)
    this.#entries.set(hash, entry)
    if (entry.key) this.#byId.set(`${entry.userKey}/${entry.key.id}`, hash)
  }

  /** A key revoked through this isolate: its next use here asks the owner's object again. */
  forget(userKey: string, id: string): void {
    const hash = this.#byId.get(`${userKey}/${id}`)
    if (hash !== undefined) this.#drop(hash)
  }

  /** Every key of one owner (their account changed through this isolate: role, status). */
  forgetOwner(userKey: string): void {
    for (const [byId, hash] of this.#byId) if (byId.startsWith(`${userKey}/`)) this.#drop(hash)
  }

  #drop(hash: string): void {
    const entry = this.#entries.get(hash)
    this.#entries.delete(hash)
    if (entry?.key) this.#byId.delete(`${entry.userKey}/${entry.key.id}`)
  }
}

/** The isolate's one cache of API keys: module scope lives as long as the isolate. */
export const apiKeys = new ApiKeyCache()

export interface ApiKeyCheck {
  /** As RequireUserOptions.revocation: `at-admission` leaves the exact check to the admission call. */
  revocation: 'cached' | 'at-admission'
  /** The client's address, for the brake on lookups (CF-Connecting-IP). */
  client: string
}

/**
 * Verifies a personal API key (api-key-format.ts) and returns the caller it stands for. What it
 * costs, in order:
 *
 * 1. Shape and checksum, offline: a mangled or mistyped key is refused with no I/O at all.
 * 2. SHA-256 of the text, then this isolate's cache: a key seen within REVOCATION_CACHE_SECONDS
 *    costs nothing more (cheaper than a JWT: a hash instead of a signature check). The cut-off of
 *    "revoke everything" is checked against the isolate's copy of the user's revocations, which the
 *    lookup below refreshed, so a revocation made through this isolate applies at once.
 * 3. Otherwise one call to the object the key names (no directory: the key carries its owner),
 *    which answers the key and the user's revocations together. These lookups are braked per
 *    address with ANONYMOUS_LIMIT (the brake of login and links), so forged keys with a valid
 *    checksum cannot hammer someone's object.
 *
 * A key revoked or expired elsewhere is refused here within REVOCATION_CACHE_SECONDS (the cache's
 * life; 0 means every request asks the object), and at once on synthesis, whose admission call
 * checks the key in the object (UserObject.admit).
 */
export async function verifyApiKey(env: Env, text: string, auth: AuthConfig, check: ApiKeyCheck, now = Date.now()): Promise<Principal> {
  const parsed = parseApiKey(text)
  if (!parsed) throw new InvalidTokenError('malformed API key (wrong length, characters or checksum)', 'ERR_API_KEY_MALFORMED')
  const hash = await hashApiKey(text)
  const ttl = auth.revocationCacheMs
  let entry = apiKeys.get(hash, now)
  const cached = entry !== undefined
  if (!entry) {
    await brakeLookups(env, check.client)
    const answer = await userObjectByKey(env, parsed.userKey).verifyApiKey(parsed.id, hash)
    revocations.prime(parsed.userKey, answer.revocations, ttl, now)
    entry = { key: answer.key, userKey: parsed.userKey, until: now + ttl }
    if (ttl > 0) apiKeys.remember(hash, entry)
  }
  const key = entry.key
  if (!key) throw new InvalidTokenError('API key unknown, revoked or expired', 'ERR_API_KEY_REFUSED')
  if (key.expiresAt <= now) throw new InvalidTokenError('API key expired', 'ERR_API_KEY_EXPIRED')
  // The owner's role when the key is used: for a directory account, its object sets every key's
  // role to the account's on each change (UserObject.applyAccount), so tiers and the admin role
  // follow the account within this cache's life; an identity provider's user, whom the edge has no
  // directory of, keeps the role their token had when they made the key.
  const role = key.role
  const ref = apiKeyTokenRef(key)
  const user: Principal = {
    sub: key.sub,
    key: parsed.userKey,
    issuer: key.issuer,
    role,
    scopes: scopesNow(auth, key, role),
    // An identity provider's user's key has no admin scope (scopesNow); reach stays with its issuer.
    adminReach: key.issuer === auth.edge.issuer ? 'all' : 'issuer',
    jti: undefined,
    issuedAt: ref.issuedAt,
    expiresAt: Math.floor(key.expiresAt / 1000),
    // The login that made the key: anything minted with it is no fresher (fresh-auth.ts refuses keys outright).
    authTime: ref.issuedAt,
    sessionId: undefined,
    apiKey: key.id,
  }
  if (cached && check.revocation === 'cached' && !(await revocations.isActive(env, user, ttl, now))) throw new InvalidTokenError('API key revoked', 'ERR_API_KEY_REVOKED')
  return user
}

/**
 * Never more than the key was given, nor more than the owner's role allows today; and never
 * `admin` for an identity provider's user, whose role the edge cannot see change (api-key-routes.ts).
 */
function scopesNow(auth: AuthConfig, key: ApiKey, role: string): ReadonlySet<Scope> {
  const scopes = new Set(parseScopes(key.scope, role))
  if (key.issuer !== auth.edge.issuer) scopes.delete('admin')
  return scopes
}

async function brakeLookups(env: Env, client: string): Promise<void> {
  const limiter = env.ANONYMOUS_LIMIT
  if (!limiter) throw new ConfigError('the rate-limit binding ANONYMOUS_LIMIT is missing')
  const { success } = await limiter.limit({ key: `api-key:${client}` })
  if (!success)
    throw new ApiError(429, 'rate_limited', 'too many API key lookups from your address: try again in a few seconds', { headers: { 'Retry-After': String(BRAKE_RETRY_SECONDS) } })
}
