import { decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import type { AuthConfig } from './auth-config'
import { externalRole, externalScopes } from './external-claims'
import { issuerKeys } from './issuer-keys'
import { DiscoveryError } from './oidc-discovery'
import { scopesOfRole, type AdminReach, type Principal, type Role, type Scope } from './principal'
import { JwksUnavailableError } from './remote-key-set'
import { isProblem, type TrustedIssuer } from './trusted-issuers'
import { userKey } from './user-key'

/** Tokens longer than this are refused before any crypto runs. */
const MAX_TOKEN_BYTES = 8 * 1024
/** Allowed disagreement between our clock and the issuer's, for exp, nbf and iat. */
const CLOCK_SKEW_SECONDS = 30

/**
 * A token that must be refused. `reason` is for the client; `code` (jose's, or ours) and `detail`
 * (e.g. which TRUSTED_ISSUERS entry is broken, and how) are for the log.
 */
export class InvalidTokenError extends Error {
  readonly detail: string | undefined

  constructor(
    readonly reason: string,
    readonly code: string,
    options: { cause?: unknown; detail?: string } = {},
  ) {
    super(reason, { cause: options.cause })
    this.name = 'InvalidTokenError'
    this.detail = options.detail
  }
}

export interface VerifyOptions {
  /** The token came where only Cloudflare Access puts one (cloudflare-access.ts): it must be an Access entry's. */
  cloudflareAccessOnly?: boolean
}

/**
 * Verifies an access token and returns the caller. The unverified `iss` only picks the verifier;
 * each verifier then requires that same issuer, its audience, `exp` and `sub`, and its own
 * algorithm allow-list:
 * - the edge's own tokens: HS256 with JWT_SECRET, or ES256/EdDSA with SIGNING_JWK and
 *   SIGNING_JWK_PREVIOUS (chosen by `kid`); an HS256 header never reaches a public key;
 * - a TRUSTED_ISSUERS provider: its remote JWKS and its listed asymmetric algorithms, its audience
 *   list; role and scopes only as its entry maps them (external-claims.ts).
 * Anything else (unknown issuer, `none`, a JWKS that cannot be fetched, a broken entry) is refused:
 * fail closed.
 */
export async function verifyAccessToken(token: string, auth: AuthConfig, now = Date.now(), options: VerifyOptions = {}): Promise<Principal> {
  if (token.length > MAX_TOKEN_BYTES) throw new InvalidTokenError('token too large', 'ERR_TOKEN_TOO_LARGE')
  let issuer: unknown
  try {
    issuer = decodeJwt(token).iss
  } catch (e) {
    throw joseFailure(e)
  }
  if (issuer === undefined) throw new InvalidTokenError('missing "iss" claim', 'ERR_JWT_CLAIM_VALIDATION_FAILED')
  const trusted = typeof issuer === 'string' && issuer !== auth.edge.issuer ? auth.trustedIssuers.find(issuer) : undefined
  if (options.cloudflareAccessOnly && !trusted?.cloudflareAccess) throw new InvalidTokenError('not a Cloudflare Access token', 'ERR_NOT_ACCESS_TOKEN')
  if (issuer === auth.edge.issuer) return verifyEdgeToken(token, auth, now)
  if (!trusted) throw new InvalidTokenError('invalid "iss" claim', 'ERR_ISSUER_NOT_TRUSTED', { detail: auth.trustedIssuers.settingProblem?.message })
  if (isProblem(trusted)) throw new InvalidTokenError("the token's issuer is not available", 'ERR_ISSUER_MISCONFIGURED', { detail: trusted.message })
  return verifyExternalToken(token, trusted, now)
}

async function verifyEdgeToken(token: string, auth: AuthConfig, now: number): Promise<Principal> {
  const { hmacKey, signing, issuer, audience } = auth.edge
  const key: JWTVerifyGetKey = (header, input) => (header.alg === 'HS256' ? hmacKey : signing!.verifyKey(header, input))
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256', ...(signing?.algorithms ?? [])],
      issuer,
      audience,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: new Date(now),
    }))
  } catch (e) {
    throw joseFailure(e)
  }
  const role = roleOf(payload.role)
  const principal = await principalFromClaims(payload, issuer, { role, scopes: parseScopes(payload.scope, role), adminReach: 'all' }, now)
  return { ...principal, sessionId: typeof payload.sid === 'string' ? payload.sid : undefined }
}

async function verifyExternalToken(token: string, trusted: TrustedIssuer, now: number): Promise<Principal> {
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(token, await issuerKeys(trusted), {
      algorithms: trusted.algorithms,
      issuer: trusted.issuer,
      audience: trusted.audience,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: new Date(now),
    }))
  } catch (e) {
    if (e instanceof JwksUnavailableError)
      throw new InvalidTokenError("the issuer's signing keys are unavailable", 'ERR_JWKS_UNAVAILABLE', { cause: e, detail: `${trusted.at}: ${e.message}` })
    if (e instanceof DiscoveryError)
      throw new InvalidTokenError("the token's issuer is not available", e.mismatch ? 'ERR_ISSUER_MISCONFIGURED' : 'ERR_DISCOVERY_FAILED', {
        cause: e,
        detail: `${trusted.at}: ${e.message}`,
      })
    throw joseFailure(e)
  }
  const role = externalRole(payload, trusted.roles)
  return principalFromClaims(payload, trusted.issuer, { role, scopes: externalScopes(payload, trusted.scopes, role), adminReach: trusted.adminReach }, now)
}

/** What the issuer's rules (the edge's, or a TRUSTED_ISSUERS entry's) make of the token's claims. */
interface Grant {
  role: Role
  scopes: ReadonlySet<Scope>
  adminReach: AdminReach
}

/** The longest `sub` a token may carry, and so the longest one an admin can name (target-user.ts, /admin/revoke). */
export const MAX_SUB_CHARS = 512

async function principalFromClaims(payload: JWTPayload, issuer: string, grant: Grant, now: number): Promise<Principal> {
  const sub = payload.sub
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUB_CHARS) throw new InvalidTokenError('invalid "sub" claim', 'ERR_SUB')
  for (const claim of ['exp', 'iat', 'nbf', 'auth_time'] as const)
    if (payload[claim] !== undefined && !isNumericDate(payload[claim])) throw new InvalidTokenError(`invalid "${claim}" claim`, 'ERR_CLAIM_DATE_RANGE')
  if (typeof payload.iat === 'number' && payload.iat > now / 1000 + CLOCK_SKEW_SECONDS) throw new InvalidTokenError('token issued in the future', 'ERR_IAT_FUTURE')
  if (typeof payload.auth_time === 'number' && payload.auth_time > now / 1000 + CLOCK_SKEW_SECONDS)
    throw new InvalidTokenError('"auth_time" is in the future', 'ERR_AUTH_TIME_FUTURE')
  const issuedAt = typeof payload.iat === 'number' ? payload.iat : undefined
  return {
    sub,
    key: await userKey(issuer, sub),
    issuer,
    ...grant,
    jti: typeof payload.jti === 'string' ? payload.jti : undefined,
    issuedAt,
    expiresAt: payload.exp!,
    authTime: typeof payload.auth_time === 'number' ? payload.auth_time : issuedAt,
    sessionId: undefined,
  }
}

/** The last second of 9999 (UTC): later dates do not fit an ISO 8601 string, and `exp: 1e20` once reached a 500. */
const MAX_NUMERIC_DATE = 253_402_300_799

/** A JWT NumericDate (RFC 7519 §2) that every date computation downstream can take. */
function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_NUMERIC_DATE
}

/**
 * `scope` narrows a token (space-separated, OAuth style); without it a token has every scope of
 * its role. `admin` is only ever granted to the admin role, whatever the token says.
 */
export function parseScopes(claim: unknown, role: string): ReadonlySet<Scope> {
  const all = scopesOfRole(role)
  if (claim === undefined) return new Set(all)
  const asked = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : []
  return new Set(all.filter((s) => asked.includes(s)))
}

/** An edge token's role claim: a name, or a list from which the highest known role wins. */
function roleOf(claim: unknown): string {
  if (typeof claim === 'string' && claim) return claim
  if (Array.isArray(claim)) return (['admin', 'premium'] as const).find((r) => claim.includes(r)) ?? 'free'
  return 'free'
}

/** jose failures by class and `code`; anything else is not a token problem and propagates (500). */
function joseFailure(e: unknown): unknown {
  if (!(e instanceof errors.JOSEError)) return e
  return new InvalidTokenError(describeJoseError(e), e.code, { cause: e })
}

function describeJoseError(e: errors.JOSEError): string {
  if (e instanceof errors.JWTExpired) return 'token expired'
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.reason === 'missing') return `missing "${e.claim}" claim`
    return `invalid "${e.claim}" claim`
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'signature verification failed'
  if (e instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed'
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) return 'unknown signing key'
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return "the issuer's signing keys are unavailable"
  if (e instanceof errors.JOSENotSupported) return 'unsupported algorithm or header'
  return 'malformed token'
}
