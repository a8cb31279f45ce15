import { Hono, type Context } from 'hono'
import type { AppEnv } from '../app-env'
import { getAuthConfig, USERNAME, type AuthConfig } from '../auth/auth-config'
import { clearedSessionCookies, csrfTokenFor, refreshCookie, sessionCookies } from '../auth/cookie-session'
import { requireFreshAuth } from '../auth/fresh-auth'
import { PBKDF2_MAX_ITERATIONS, verifyPassword, type PasswordHash } from '../auth/password-hash'
import { requireUser } from '../auth/require-user'
import { revocations } from '../auth/revocation-check'
import { userKey } from '../auth/user-key'
import { ApiError } from '../http/api-error'
import { readJson } from '../http/read-json'
import { issueAccessToken } from '../tokens/issue-token'
import { PER_IP, PER_USERNAME, type ThrottleResult } from '../users/login-throttle'
import { hashSecret, newJti, newRefreshToken, ownerOf, randomPart } from '../tokens/token-ids'
import { anonymousRateLimit } from '../limits/anonymous-limit'
import { userObjectByKey } from '../users/user-stub'

/** How long a just-spent refresh cookie still rotates (tabs refreshing together, a lost response). */
const COOKIE_REFRESH_GRACE_MS = 30_000

/** Stands in for an unknown user's hash, so an unknown name costs the same PBKDF2 as a wrong password. */
const DECOY: PasswordHash = { iterations: PBKDF2_MAX_ITERATIONS, salt: new Uint8Array(16), hash: new Uint8Array(32) }

const badCredentials = () => new ApiError(401, 'invalid_credentials', 'invalid username or password')
const badRefresh = (internal: string) => new ApiError(401, 'invalid_grant', 'the refresh token is invalid, expired or revoked', { internal })
const noStore = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }

/**
 * The edge's own login (users of AUTH_USERS): access tokens of ACCESS_TTL and rotating refresh
 * tokens (session-ledger.ts), optionally as a browser cookie session (cookie-session.ts).
 */
export const authRoutes = new Hono<AppEnv>()
  .post('/auth/login', anonymousRateLimit(), async (c) => {
    const auth = await getAuthConfig(c.env)
    const body = await readJson(c, 4096)
    const { username, password, cookie } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    if (typeof username !== 'string' || typeof password !== 'string' || !username || !password || password.length > 1024)
      throw new ApiError(400, 'bad_request', 'send {"username": "...", "password": "..."}')
    // A name that cannot exist is still throttled and hashed like any other: nothing tells it apart.
    const key = await userKey(auth.edge.issuer, username)
    const ipObject = loginObject(c.env, `login-ip:${c.req.header('cf-connecting-ip') ?? 'unknown'}`)
    const userObject = loginObject(c.env, key)
    const ipAttempt = await ipObject.beginLogin(PER_IP)
    if (!ipAttempt.ok) throw tooManyAttempts(ipAttempt)
    const userAttempt = await userObject.beginLogin(PER_USERNAME)
    if (!userAttempt.ok) throw tooManyAttempts(userAttempt)

    const user = USERNAME.test(username) ? auth.users.get(username) : undefined
    const matches = await verifyPassword(password, user?.password ?? DECOY)
    c.set('logFields', { action: 'auth.login', login: username, ok: Boolean(user && matches) })
    if (!user || !matches) throw badCredentials()
    await Promise.all([ipObject.loginSucceeded(ipAttempt.attempt, false), userObject.loginSucceeded(userAttempt.attempt, true)])

    const now = Date.now()
    const session = randomPart(16)
    const refreshToken = newRefreshToken(key)
    const ttl = auth.accessTtl
    const access = await issueAccessToken(auth, { sub: username, jti: newJti(key), role: user.role, ttlSeconds: ttl, sid: session, authTime: Math.floor(now / 1000) }, now)
    await userObject.startSession({
      id: session,
      sub: username,
      authTime: Math.floor(now / 1000),
      expiresAt: now + auth.refreshTtl * 1000,
      refreshHash: await hashSecret(refreshToken),
      access: { jti: access.jti, expiresAt: access.expiresAt * 1000 },
    })
    return tokenResponse(c, auth, { accessToken: access.token, jti: access.jti, ttl, refreshToken, refreshTtl: auth.refreshTtl, cookie: cookie === true })
  })

  .post('/auth/refresh', anonymousRateLimit(), async (c) => {
    const auth = await getAuthConfig(c.env)
    // A browser session's refresh token is its HttpOnly cookie; other clients send it in the body.
    const fromCookie = refreshCookie(c)
    const presented = fromCookie ?? ((await readJson(c, 4096)) as { refresh_token?: unknown } | null)?.refresh_token
    if (typeof presented !== 'string') throw new ApiError(400, 'bad_request', 'send {"refresh_token": "..."}')
    const key = ownerOf(presented)
    if (!key) throw badRefresh('not a refresh token')
    const now = Date.now()
    const next = newRefreshToken(key)
    const jti = newJti(key)
    const stub = loginObject(c.env, key)
    // A grace period only for the browser's HttpOnly cookie, which script cannot steal; a refresh
    // token in a body is held to strict reuse detection.
    const graceMs = fromCookie !== undefined ? COOKIE_REFRESH_GRACE_MS : 0
    const rotated = await stub.rotateRefreshToken(await hashSecret(presented), await hashSecret(next), { jti, expiresAt: now + auth.accessTtl * 1000 }, graceMs)
    if (!rotated.ok) {
      // Reuse revoked the family's access tokens in the object; this isolate learns it at once.
      for (const revoked of rotated.revokedJtis) revocations.noteRevoked(key, { jti: revoked })
      c.set('logFields', { action: rotated.reason === 'reused' ? 'auth.refresh_reuse' : 'auth.refresh_refused', reason: rotated.reason })
      throw badRefresh(rotated.reason)
    }
    const user = auth.users.get(rotated.sub)
    if (!user) {
      // Removed from AUTH_USERS since login: the session ends here.
      await stub.endSession(rotated.session)
      throw badRefresh('user no longer configured')
    }
    const ttl = Math.min(auth.accessTtl, Math.floor((rotated.expiresAt - now) / 1000))
    const access = await issueAccessToken(auth, { sub: rotated.sub, jti, role: user.role, ttlSeconds: ttl, sid: rotated.session, authTime: rotated.authTime }, now)
    return tokenResponse(c, auth, { accessToken: access.token, jti, ttl, refreshToken: next, refreshTtl: Math.floor((rotated.expiresAt - now) / 1000), cookie: fromCookie !== undefined })
  })

  // A browser whose access cookie has expired still holds its refresh cookie, which script cannot
  // delete: that cookie alone ends its session (SameSite=Strict keeps other sites from doing it).
  .post('/auth/logout', async (c, next) => {
    const refresh = refreshCookie(c)
    const key = refresh ? ownerOf(refresh) : undefined
    if (!refresh || !key) return next()
    const revoked = await loginObject(c.env, key).endSessionOfRefreshToken(await hashSecret(refresh))
    for (const jti of revoked) revocations.noteRevoked(key, { jti })
    c.set('logFields', { action: 'auth.logout' })
    const res = c.body(null, 204, noStore)
    for (const cookie of clearedSessionCookies()) res.headers.append('Set-Cookie', cookie)
    return res
  })
  .post('/auth/logout', requireUser(), async (c) => {
    const user = c.get('user')
    const stub = loginObject(c.env, user.key)
    const revoked = user.sessionId ? await stub.endSession(user.sessionId) : []
    if (user.jti && !revoked.includes(user.jti)) {
      await stub.revokeTokens({ jti: user.jti, expiresAt: user.expiresAt * 1000 })
      revoked.push(user.jti)
    }
    for (const jti of revoked) revocations.noteRevoked(user.key, { jti })
    c.set('logFields', { action: 'auth.logout', resource: user.sessionId ?? user.jti ?? null })
    const res = c.body(null, 204, noStore)
    for (const cookie of clearedSessionCookies()) res.headers.append('Set-Cookie', cookie)
    return res
  })

  /** Sensitive: ends every session and revokes every token of the caller, so it needs a fresh login. */
  .post('/auth/logout-all', requireUser(), requireFreshAuth(), async (c) => {
    const user = c.get('user')
    const second = Math.floor(Date.now() / 1000)
    await loginObject(c.env, user.key).revokeTokens({ allBefore: second })
    revocations.noteRevoked(user.key, { revokedBefore: second })
    c.set('logFields', { action: 'auth.logout_all' })
    const res = c.body(null, 204, noStore)
    for (const cookie of clearedSessionCookies()) res.headers.append('Set-Cookie', cookie)
    return res
  })

  .get('/auth/me', requireUser(), (c) => {
    const u = c.get('user')
    return c.json(
      {
        sub: u.sub,
        issuer: u.issuer,
        role: u.role,
        scopes: [...u.scopes],
        jti: u.jti ?? null,
        session: u.sessionId ?? null,
        api_key: u.apiKey ?? null,
        issued_at: u.issuedAt !== undefined ? iso(u.issuedAt) : null,
        auth_time: u.authTime !== undefined ? iso(u.authTime) : null,
        expires_at: iso(u.expiresAt),
      },
      200,
      noStore,
    )
  })

/** The user's Durable Object, or the one counting a client IP's logins (`login-ip:` never equals a user key). */
const loginObject = userObjectByKey

const iso = (seconds: number) => new Date(seconds * 1000).toISOString()

function tooManyAttempts(result: Extract<ThrottleResult, { ok: false }>): ApiError {
  return new ApiError(429, 'too_many_attempts', 'too many failed logins: try again later', { headers: { 'Retry-After': String(result.retryAfter) } })
}

/**
 * RFC 6749 §5.1 token response. With `cookie`, a browser session instead: the tokens go in HttpOnly
 * cookies and the body carries only the CSRF token, so script never holds a credential.
 */
async function tokenResponse(c: Context<AppEnv>, auth: AuthConfig, t: { accessToken: string; jti: string; ttl: number; refreshToken: string; refreshTtl: number; cookie: boolean }) {
  if (!t.cookie) return c.json({ access_token: t.accessToken, token_type: 'Bearer', expires_in: t.ttl, refresh_token: t.refreshToken }, 200, noStore)
  const csrf = await csrfTokenFor(t.jti, auth.edge.hmacKey)
  const res = c.json({ token_type: 'cookie', expires_in: t.ttl, csrf_token: csrf }, 200, noStore)
  for (const cookie of sessionCookies(t.accessToken, csrf, t.ttl, { token: t.refreshToken, maxAge: t.refreshTtl })) res.headers.append('Set-Cookie', cookie)
  return res
}
