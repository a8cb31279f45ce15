import { SignJWT } from 'jose'
import { TEST_SECRETS } from './test-secrets'

export interface TokenOptions {
  role?: string
  ttl?: number
  audience?: string
  issuer?: string
  secret?: string
  scope?: string
  /** Seconds since the epoch; defaults to now. */
  iat?: number
  nbf?: number
  exp?: number | null
  jti?: string
  alg?: 'HS256' | 'HS384'
  extra?: Record<string, unknown>
}

/** A token as the edge issues it, signed with the test JWT_SECRET unless told otherwise. */
export async function tokenFor(sub: string | undefined, o: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const jwt = new SignJWT({ ...(o.role ? { role: o.role } : {}), ...(o.scope ? { scope: o.scope } : {}), ...o.extra })
    .setProtectedHeader({ alg: o.alg ?? 'HS256', typ: 'JWT' })
    .setIssuer(o.issuer ?? 'cosyvoice-edge')
    .setAudience(o.audience ?? 'cosyvoice-edge')
    .setIssuedAt(o.iat ?? now)
    .setJti(o.jti ?? crypto.randomUUID())
  if (sub !== undefined) jwt.setSubject(sub)
  if (o.exp !== null) jwt.setExpirationTime(o.exp ?? now + (o.ttl ?? 600))
  if (o.nbf !== undefined) jwt.setNotBefore(o.nbf)
  return jwt.sign(new TextEncoder().encode(o.secret ?? TEST_SECRETS.JWT_SECRET))
}

/** A fresh user name, so tests never share a user's quota or files. */
export const uniqueUser = (name = 'user') => `${name}-${crypto.randomUUID().slice(0, 8)}`
