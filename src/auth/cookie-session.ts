import type { Context } from 'hono'
import { generateCookie, getCookie } from 'hono/cookie'
import type { CookieOptions } from 'hono/utils/cookie'
import { base64url } from '../codecs/base64'

/**
 * Browser sessions: the access token in an HttpOnly cookie (script cannot read it, so XSS cannot
 * steal it), with the `__Host-` prefix so it is Secure, host-only and Path=/ (a sibling subdomain
 * cannot plant or shadow it), SameSite=Lax. The refresh token, the longer-lived credential, is an
 * HttpOnly cookie too (SameSite=Strict: no other site can make the browser send it) and is never
 * put in a response body script could read.
 *
 * CSRF: a cookie rides along on cross-site requests, so every unsafe method authenticated by the
 * cookie must also send `X-CSRF-Token`. The token is HMAC(JWT_SECRET, "csrf:" + jti): it is bound
 * to this one session token, needs no storage, and a page on another site can neither read it (it
 * is given in the login response and in the readable `__Host-csrf` cookie, same-origin only) nor
 * compute it. A bearer token in the Authorization header needs none: browsers never add it on
 * their own.
 */
const ACCESS_COOKIE = 'access'
const CSRF_COOKIE = 'csrf'
const REFRESH_COOKIE = 'refresh'
/** A browser's trusted-device token (accounts/device-token.ts): HttpOnly, and Strict, so only our own login page sends it. */
const DEVICE_COOKIE = 'device'
export const CSRF_HEADER = 'x-csrf-token'

/** hono adds the `__Host-` prefix, and refuses a Domain or a Path other than / for it. */
const HOST_ONLY = { prefix: 'host', path: '/', secure: true } as const satisfies CookieOptions
const ACCESS = { ...HOST_ONLY, httpOnly: true, sameSite: 'Lax' } as const satisfies CookieOptions
const CSRF = { ...HOST_ONLY, sameSite: 'Lax' } as const satisfies CookieOptions
const REFRESH = { ...HOST_ONLY, httpOnly: true, sameSite: 'Strict' } as const satisfies CookieOptions
const DEVICE = { ...HOST_ONLY, httpOnly: true, sameSite: 'Strict' } as const satisfies CookieOptions

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export const isSafeMethod = (method: string) => SAFE_METHODS.has(method.toUpperCase())

export function accessCookie(c: Context): string | undefined {
  return getCookie(c, ACCESS_COOKIE, 'host')
}

export function refreshCookie(c: Context): string | undefined {
  return getCookie(c, REFRESH_COOKIE, 'host')
}

export function deviceCookieOf(c: Context): string | undefined {
  return getCookie(c, DEVICE_COOKIE, 'host')
}

/** The Set-Cookie value that keeps a browser's device token for `maxAge` seconds. */
export const deviceCookie = (token: string, maxAge: number): string => generateCookie(DEVICE_COOKIE, token, { ...DEVICE, maxAge })

/** `key` is JWT_SECRET imported once for HMAC-SHA256 (AuthConfig.edge.hmacKey). */
export async function csrfTokenFor(jti: string, key: CryptoKey): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`csrf:${jti}`))))
}

/** Constant-time check of the request's X-CSRF-Token against the one bound to `jti`. */
export async function csrfValid(sent: string | undefined, jti: string | undefined, key: CryptoKey): Promise<boolean> {
  if (!sent || !jti) return false
  const expected = new TextEncoder().encode(await csrfTokenFor(jti, key))
  const given = new TextEncoder().encode(sent)
  return given.length === expected.length && crypto.subtle.timingSafeEqual(given, expected)
}

/** Set-Cookie values for a browser session: the access token for `maxAge` seconds, the refresh token for `refresh.maxAge`. */
export function sessionCookies(accessToken: string, csrfToken: string, maxAge: number, refresh: { token: string; maxAge: number }): string[] {
  return [
    generateCookie(ACCESS_COOKIE, accessToken, { ...ACCESS, maxAge }),
    generateCookie(CSRF_COOKIE, csrfToken, { ...CSRF, maxAge }),
    generateCookie(REFRESH_COOKIE, refresh.token, { ...REFRESH, maxAge: refresh.maxAge }),
  ]
}

export function clearedSessionCookies(): string[] {
  return [
    generateCookie(ACCESS_COOKIE, '', { ...ACCESS, maxAge: 0 }),
    generateCookie(CSRF_COOKIE, '', { ...CSRF, maxAge: 0 }),
    generateCookie(REFRESH_COOKIE, '', { ...REFRESH, maxAge: 0 }),
  ]
}
