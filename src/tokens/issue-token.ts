import { SignJWT } from 'jose'
import type { AuthConfig } from '../auth/auth-config'

export interface AccessTokenRequest {
  sub: string
  /** From newJti(user key): the caller records it (in a session) before the token exists. */
  jti: string
  role: string
  /** Space-separated narrowing; omitted = every scope of the role. */
  scope?: string
  ttlSeconds: number
  /** Login session (refresh-token family), for logout. */
  sid?: string
  /** When the password was typed, seconds (fresh-auth.ts). */
  authTime?: number
}

export interface IssuedToken {
  token: string
  jti: string
  /** Seconds since the epoch. */
  expiresAt: number
}

/**
 * Signs an access token as the edge: with SIGNING_JWK (ES256/EdDSA, `kid` in the header) when it
 * is set, else HS256 with JWT_SECRET. Always `iss`, `aud`, `sub`, `iat`, `exp` and a routable `jti`.
 */
export async function issueAccessToken(auth: AuthConfig, t: AccessTokenRequest, now = Date.now()): Promise<IssuedToken> {
  const iat = Math.floor(now / 1000)
  const jti = t.jti
  const expiresAt = iat + t.ttlSeconds
  const jwt = new SignJWT({
    role: t.role,
    ...(t.scope !== undefined ? { scope: t.scope } : {}),
    ...(t.sid !== undefined ? { sid: t.sid } : {}),
    ...(t.authTime !== undefined ? { auth_time: t.authTime } : {}),
  })
    .setIssuer(auth.edge.issuer)
    .setAudience(auth.edge.audience)
    .setSubject(t.sub)
    .setIssuedAt(iat)
    .setExpirationTime(expiresAt)
    .setJti(jti)
  const signing = auth.edge.signing
  const token = signing
    ? await jwt.setProtectedHeader({ alg: signing.current.alg, kid: signing.current.kid, typ: 'JWT' }).sign(signing.current.privateKey)
    : await jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(auth.edge.hmacKey)
  return { token, jti, expiresAt }
}
