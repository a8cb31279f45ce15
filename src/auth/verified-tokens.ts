import type { AuthConfig } from './auth-config'
import type { Principal } from './principal'
import { verifyAccessToken, type VerifyOptions } from './verify-token'

/** How long this isolate trusts a verification it made. */
const TTL_MS = 60_000
/** Longer tokens are verified every time (typical ones are well under 1 KiB). */
const MAX_TOKEN_CHARS = 4096
/** Memory bound, counted in token characters: about 4 MiB of tokens however many clients there are. */
const MAX_CHARS = 4 * 1024 * 1024

/**
 * Tokens this isolate has verified, and whom they stand for. A client sends the same access token
 * with every request for as long as it lives (an hour by default); the second time, the answer is a
 * lookup instead of a second jose verification, which costs more than the HMAC it checks
 * (docs/BENCHMARKS.md, verification).
 *
 * Only the edge's own tokens are kept: their keys (JWT_SECRET, SIGNING_JWK and its predecessor)
 * change only with a new deployment, which starts new isolates with nothing remembered, so the same
 * string that verified once verifies again until its `exp` (jose would give it 30 s more of clock
 * skew; here it goes back to jose instead): keeping it changes no answer. An identity provider can
 * drop a key from its JWKS at any moment, and its tokens must fail as soon as the JWKS is refetched
 * (test/auth-issuers.test.ts), so theirs are verified every time. Revocation is not kept here: it is
 * checked on every request (revocation-check.ts, or at admission), verified before or not.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, { principal: Principal; until: number }>()
  #chars = 0

  get(token: string, now: number): Principal | undefined {
    const entry = this.#entries.get(token)
    if (!entry) return undefined
    if (entry.until > now) return entry.principal
    this.#forget(token)
    return undefined
  }

  remember(token: string, principal: Principal, now: number): void {
    if (token.length > MAX_TOKEN_CHARS || this.#entries.has(token)) return
    const until = Math.min(principal.expiresAt * 1000, now + TTL_MS)
    if (until <= now) return
    while (this.#chars + token.length > MAX_CHARS) this.#forget(this.#entries.keys().next().value!)
    this.#entries.set(token, { principal, until })
    this.#chars += token.length
  }

  #forget(token: string): void {
    if (this.#entries.delete(token)) this.#chars -= token.length
  }
}

/** Per configuration: a verification holds only under the keys and issuers that made it. */
const verifiedUnder = new WeakMap<AuthConfig, VerifiedTokens>()

/**
 * verifyAccessToken, answered from this isolate's memory for an edge token it verified less than a
 * minute ago (and that has not expired since). Other issuers' tokens are always verified afresh.
 */
export async function verifyRepeatedToken(token: string, auth: AuthConfig, now = Date.now(), options: VerifyOptions = {}): Promise<Principal> {
  if (options.cloudflareAccessOnly) return verifyAccessToken(token, auth, now, options)
  let verified = verifiedUnder.get(auth)
  if (!verified) {
    verified = new VerifiedTokens()
    verifiedUnder.set(auth, verified)
  }
  const known = verified.get(token, now)
  if (known) return known
  const principal = await verifyAccessToken(token, auth, now, options)
  if (principal.issuer === auth.edge.issuer) verified.remember(token, principal, now)
  return principal
}
