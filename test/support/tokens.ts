import { importJWK, SignJWT, type JWK } from 'jose'
import { inject } from 'vitest'
import { call } from './api'
import { TEST_PASSWORD } from './auth-fixtures'
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

// --- token service helpers (logins, edge ES256 keys, the loopback identity provider) ---

export interface LoginOptions {
  password?: string
  /** The client address the edge sees (CF-Connecting-IP); unique per test keeps IP throttles apart. */
  ip?: string
  cookie?: boolean
  /** A trusted-device token from an earlier login, sent as `device_token`. */
  deviceToken?: string
  /** More request headers (a `__Host-device` cookie, say). */
  headers?: Record<string, string>
}

export interface TokenResponse {
  access_token: string
  token_type: string
  expires_in: number
  refresh_token: string
  csrf_token?: string
  device_token?: string
}

/** POST /auth/login as a client would. */
export function login(username: string, o: LoginOptions = {}): Promise<Response> {
  return call('POST', '/auth/login', {
    json: { username, password: o.password ?? TEST_PASSWORD, ...(o.cookie ? { cookie: true } : {}), ...(o.deviceToken ? { device_token: o.deviceToken } : {}) },
    headers: { 'cf-connecting-ip': o.ip ?? uniqueIp(), ...o.headers },
  })
}

/** Logs in and returns the token response (fails the test if login fails). */
export async function loggedIn(username: string, o: LoginOptions = {}): Promise<TokenResponse> {
  const res = await login(username, o)
  if (res.status !== 200) throw new Error(`login of ${username} answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as TokenResponse
}

export const uniqueIp = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}-${crypto.randomUUID().slice(0, 4)}`

/** A token as the edge would sign it with an ES256 private JWK (SIGNING_JWK and friends). */
export async function es256TokenFor(key: JWK, sub: string, o: { role?: string; ttl?: number; kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ ...(o.role ? { role: o.role } : {}) })
    .setProtectedHeader({ alg: 'ES256', kid: o.kid ?? key.kid, typ: 'JWT' })
    .setIssuer('cosyvoice-edge')
    .setAudience('cosyvoice-edge')
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.ttl ?? 600))
    .setJti(crypto.randomUUID())
    .sign(await importJWK(key, 'ES256'))
}

export const jwksUrl = () => inject('jwksUrl')

/** A token signed by a loopback IdP tenant's current key (or with `kid`, or `alg`, in its header instead). */
export async function idpToken(tenant: string, claims: Record<string, unknown>, kid?: string, alg?: string): Promise<string> {
  const res = await fetch(`${jwksUrl()}/${tenant}/sign`, { method: 'POST', body: JSON.stringify({ claims, kid, alg }) })
  return ((await res.json()) as { token: string }).token
}

export async function idpStats(tenant: string): Promise<{ fetches: number; discoveryFetches: number; kid: string; issuer: string }> {
  return (await (await fetch(`${jwksUrl()}/${tenant}/stats`)).json()) as { fetches: number; discoveryFetches: number; kid: string; issuer: string }
}

export async function rotateIdp(tenant: string): Promise<string> {
  return ((await (await fetch(`${jwksUrl()}/${tenant}/rotate`, { method: 'POST' })).json()) as { kid: string }).kid
}
