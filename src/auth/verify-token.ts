import { errors, jwtVerify, type JWTPayload } from 'jose'
import type { AppConfig } from '../config/app-config'
import { SCOPES, type Principal, type Scope } from './principal'
import { userKey } from './user-key'

/** Tokens longer than this are refused before any crypto runs. */
export const MAX_TOKEN_BYTES = 8 * 1024
/** Allowed disagreement between our clock and the issuer's, for exp, nbf and iat. */
export const CLOCK_SKEW_SECONDS = 30

/** A token that must be refused. `reason` is for the client; `code` (jose's) is for the log. */
export class InvalidTokenError extends Error {
  constructor(
    readonly reason: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options)
    this.name = 'InvalidTokenError'
  }
}

/**
 * Verifies an access token and returns the caller. One module for every kind of key the edge
 * accepts: today HS256 edge-issued tokens; asymmetric keys and external issuers plug in here.
 */
export async function verifyAccessToken(token: string, config: AppConfig, now = Date.now()): Promise<Principal> {
  if (token.length > MAX_TOKEN_BYTES) throw new InvalidTokenError('token too large', 'ERR_TOKEN_TOO_LARGE')
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(token, config.jwt.secret, {
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: new Date(now),
    }))
  } catch (e) {
    if (e instanceof errors.JOSEError) throw new InvalidTokenError(describeJoseError(e), e.code, { cause: e })
    throw e
  }
  return principalFromClaims(payload, config.jwt.issuer, now)
}

export async function principalFromClaims(payload: JWTPayload, issuer: string, now: number): Promise<Principal> {
  const sub = payload.sub
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 512) throw new InvalidTokenError('invalid "sub" claim', 'ERR_SUB')
  if (typeof payload.iat === 'number' && payload.iat > now / 1000 + CLOCK_SKEW_SECONDS)
    throw new InvalidTokenError('token issued in the future', 'ERR_IAT_FUTURE')
  const role = typeof payload.role === 'string' && payload.role ? payload.role : 'free'
  return {
    sub,
    key: await userKey(issuer, sub),
    issuer,
    role,
    scopes: parseScopes(payload.scope, role),
    jti: typeof payload.jti === 'string' ? payload.jti : undefined,
    issuedAt: typeof payload.iat === 'number' ? payload.iat : undefined,
    expiresAt: payload.exp!,
  }
}

/**
 * `scope` narrows a token (space-separated, OAuth style); without it a token has every scope of
 * its role. `admin` is only ever granted to the admin role, whatever the token says.
 */
export function parseScopes(claim: unknown, role: string): ReadonlySet<Scope> {
  const all = SCOPES.filter((s) => s !== 'admin' || role === 'admin')
  if (claim === undefined) return new Set(all)
  const asked = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : []
  return new Set(all.filter((s) => asked.includes(s)))
}

function describeJoseError(e: errors.JOSEError): string {
  if (e instanceof errors.JWTExpired) return 'token expired'
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.reason === 'missing') return `missing "${e.claim}" claim`
    return `invalid "${e.claim}" claim`
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'signature verification failed'
  if (e instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed'
  return 'malformed token'
}
