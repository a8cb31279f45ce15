import { Hono, type Context } from 'hono'
import type { AppEnv } from '../app-env'
import { getAuthConfig, type AuthConfig } from '../auth/auth-config'
import { clearedSessionCookies, csrfTokenFor, deviceCookie, deviceCookieOf, refreshCookie, sessionCookies } from '../auth/cookie-session'
import { requireFreshAuth } from '../auth/fresh-auth'
import { PBKDF2_MAX_ITERATIONS, verifyPassword, type PasswordHash } from '../auth/password-hash'
import { requireUser } from '../auth/require-user'
import { revokeAllOf } from '../auth/revoke-all'
import { revocations } from '../auth/revocation-check'
import { userKey } from '../auth/user-key'
import { ApiError } from '../http/api-error'
import { readJson } from '../http/read-json'
import { parseBody } from '../http/request-body'
import { LoginBody, RefreshBody } from './login-bodies'
import { issueAccessToken } from '../tokens/issue-token'
import { beginLoginAttempt } from './login-attempt'
import { DEVICE_TOKEN_SECONDS, issueDeviceToken, trustedDeviceOf } from './device-token'
import { hashSecret, newJti, newRefreshToken, ownerOf, randomPart } from '../tokens/token-ids'
import { anonymousRateLimit } from '../limits/anonymous-limit'
import { userObjectByKey } from '../users/user-stub'
import { loginAccount, loginName, recordLogin, refreshAccount } from '../accounts/login-lookup'

/** Stands in for an unknown user's hash, so an unknown name costs the same PBKDF2 as a wrong password. */
const DECOY: PasswordHash = { iterations: PBKDF2_MAX_ITERATIONS, salt: new Uint8Array(16), hash: new Uint8Array(32) }

const badCredentials = () => new ApiError(401, 'invalid_credentials', 'invalid username or password')
const accountDisabled = () => new ApiError(403, 'account_disabled', 'this account is disabled')
const badRefresh = (internal: string) => new ApiError(401, 'invalid_grant', 'the refresh token is invalid, expired or revoked', { internal })
const noStore = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }

/**
 * The edge's own login (accounts of the D1 directory, accounts/): access tokens of ACCESS_TTL and rotating refresh
 * tokens (session-ledger.ts), optionally as a browser cookie session (cookie-session.ts).
 */
export const authRoutes = new Hono<AppEnv>()
  .post('/auth/login', anonymousRateLimit(), async (c) => {
    const auth = await getAuthConfig(c.env)
    const { username, password, cookie, device_token: deviceToken } = parseBody(LoginBody, await readJson(c, 4096))
    // A name that cannot exist is still throttled and hashed like any other: nothing tells it apart.
    // Every case and Unicode form of a name shares one throttle and its trusted devices (accounts/login-lookup.ts).
    const key = await userKey(auth.edge.issuer, loginName(username))
    const deviceId = await trustedDeviceOf(deviceToken ?? deviceCookieOf(c), key, auth.edge.hmacKey)
    const attempt = await beginLoginAttempt(c.env, key, { address: c.req.header('cf-connecting-ip'), deviceId })

    const user = await loginAccount(c.env, username)
    const matches = await verifyPassword(password, user?.password ?? DECOY)
    c.set('logFields', { action: 'auth.login', login: username, ok: Boolean(user?.password && matches), trusted_device: deviceId !== undefined })
    if (!user?.password || !matches) throw badCredentials()
    await attempt.succeeded()
    if (!user.active) throw accountDisabled()

    const now = Date.now()
    const session = randomPart(16)
    // The account's own object (named by its stable id), not the name's throttle.
    const account = loginObject(c.env, user.key)
    const refreshToken = newRefreshToken(user.key)
    const ttl = auth.accessTtl
    const access = await issueAccessToken(auth, { sub: user.id, jti: newJti(user.key), role: user.role, ttlSeconds: ttl, sid: session, authTime: Math.floor(now / 1000) }, now)
    const started = await account.startSession(
      {
        id: session,
        sub: user.id,
        authTime: Math.floor(now / 1000),
        expiresAt: now + auth.refreshTtl * 1000,
        refreshHash: await hashSecret(refreshToken),
        issuedAs: cookie === true ? 'cookie' : 'body',
        access: { jti: access.jti, expiresAt: access.expiresAt * 1000 },
      },
      { userAgent: c.req.header('user-agent') ?? null },
    )
    // Disabled by an admin while the password was being checked: no session, and the token is never handed out.
    if (!started) throw accountDisabled()
    c.executionCtx.waitUntil(recordLogin(c.env, user.id, now).catch(() => {}))
    // This client has now logged in as this user: from here on its guesses are its own (device-token.ts).
    const deviceTokenOut = await issueDeviceToken(key, auth.edge.hmacKey, now)
    return tokenResponse(c, auth, {
      accessToken: access.token,
      jti: access.jti,
      ttl,
      refreshToken,
      refreshTtl: auth.refreshTtl,
      cookie: cookie === true,
      deviceToken: deviceTokenOut,
    })
  })

  .post('/auth/refresh', anonymousRateLimit(), async (c) => {
    const auth = await getAuthConfig(c.env)
    // A browser session's refresh token is its HttpOnly cookie; other clients send it in the body.
    const fromCookie = refreshCookie(c)
    const presented = fromCookie ?? parseBody(RefreshBody, await readJson(c, 4096)).refresh_token
    const key = ownerOf(presented)
    if (!key) throw badRefresh('not a refresh token')
    const now = Date.now()
    const next = newRefreshToken(key)
    const jti = newJti(key)
    const stub = loginObject(c.env, key)
    // The family's own record says whether a grace period applies and which channel is allowed
    // (session-ledger.ts): a cookie header is something any client can send.
    const presentedAs = fromCookie !== undefined ? 'cookie' : 'body'
    const rotated = await stub.rotateRefreshToken(await hashSecret(presented), await hashSecret(next), { jti, expiresAt: now + auth.accessTtl * 1000 }, presentedAs)
    if (!rotated.ok) {
      // Reuse revoked the family's access tokens in the object; this isolate learns it at once.
      revocations.noteRevoked(key, { jtis: rotated.revokedJtis })
      const revokedFamily = rotated.reason === 'reused' || rotated.reason === 'wrong_channel'
      c.set('logFields', { action: revokedFamily ? 'auth.refresh_reuse' : 'auth.refresh_refused', reason: rotated.reason })
      throw badRefresh(rotated.reason)
    }
    const user = await refreshAccount(c.env, rotated.sub)
    if (!user) {
      // Deleted or disabled since login (its object may not know yet): the session ends here.
      await stub.endSession(rotated.session)
      throw badRefresh('account deleted or disabled')
    }
    const ttl = Math.min(auth.accessTtl, Math.floor((rotated.expiresAt - now) / 1000))
    const access = await issueAccessToken(auth, { sub: rotated.sub, jti, role: user.role, ttlSeconds: ttl, sid: rotated.session, authTime: rotated.authTime }, now)
    return tokenResponse(c, auth, {
      accessToken: access.token,
      jti,
      ttl,
      refreshToken: next,
      refreshTtl: Math.floor((rotated.expiresAt - now) / 1000),
      cookie: fromCookie !== undefined,
    })
  })

  // A browser whose access cookie has expired still holds its refresh cookie, which script cannot
  // delete: that cookie alone ends its session (SameSite=Strict keeps other sites from doing it).
  .post('/auth/logout', async (c, next) => {
    const refresh = refreshCookie(c)
    const key = refresh ? ownerOf(refresh) : undefined
    if (!refresh || !key) return next()
    const revoked = await loginObject(c.env, key).endSessionOfRefreshToken(await hashSecret(refresh))
    revocations.noteRevoked(key, { jtis: revoked })
    c.set('logFields', { action: 'auth.logout' })
    return signedOut(c)
  })
  .post('/auth/logout', requireUser(), async (c) => {
    const user = c.get('user')
    const stub = loginObject(c.env, user.key)
    const revoked = user.sessionId ? await stub.endSession(user.sessionId) : []
    if (user.jti && !revoked.includes(user.jti)) {
      await stub.revokeTokens({ jti: user.jti, expiresAt: user.expiresAt * 1000 })
      revoked.push(user.jti)
    }
    revocations.noteRevoked(user.key, { jtis: revoked })
    c.set('logFields', { action: 'auth.logout', resource: user.sessionId ?? user.jti ?? null })
    return signedOut(c)
  })

  /** Sensitive: ends every session and revokes every token of the caller, so it needs a fresh login. */
  .post('/auth/logout-all', requireUser(), requireFreshAuth(), async (c) => {
    const user = c.get('user')
    await revokeAllOf(c.env, user.key)
    c.set('logFields', { action: 'auth.logout_all' })
    return signedOut(c)
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

const loginObject = userObjectByKey

const iso = (seconds: number) => new Date(seconds * 1000).toISOString()

/** 204, clearing a browser session's cookies (a client without them ignores the headers). */
function signedOut(c: Context): Response {
  const res = c.body(null, 204, noStore)
  for (const cookie of clearedSessionCookies()) res.headers.append('Set-Cookie', cookie)
  return res
}

/**
 * RFC 6749 §5.1 token response. With `cookie`, a browser session instead: the tokens go in HttpOnly
 * cookies and the body carries only the CSRF token, so script never holds a credential. A login
 * also hands out a trusted-device token (device-token.ts): `device_token` in the body, or the
 * `__Host-device` cookie for a browser.
 */
async function tokenResponse(
  c: Context<AppEnv>,
  auth: AuthConfig,
  t: { accessToken: string; jti: string; ttl: number; refreshToken: string; refreshTtl: number; cookie: boolean; deviceToken?: string },
) {
  if (!t.cookie) {
    const device = t.deviceToken === undefined ? {} : { device_token: t.deviceToken }
    return c.json({ access_token: t.accessToken, token_type: 'Bearer', expires_in: t.ttl, refresh_token: t.refreshToken, ...device }, 200, noStore)
  }
  const csrf = await csrfTokenFor(t.jti, auth.edge.hmacKey)
  const res = c.json({ token_type: 'cookie', expires_in: t.ttl, csrf_token: csrf }, 200, noStore)
  for (const cookie of sessionCookies(t.accessToken, csrf, t.ttl, { token: t.refreshToken, maxAge: t.refreshTtl })) res.headers.append('Set-Cookie', cookie)
  if (t.deviceToken !== undefined) res.headers.append('Set-Cookie', deviceCookie(t.deviceToken, DEVICE_TOKEN_SECONDS))
  return res
}
