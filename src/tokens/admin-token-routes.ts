import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { adminTargetIssuer } from '../auth/admin-reach'
import { getAuthConfig } from '../auth/auth-config'
import { requireUser } from '../auth/require-user'
import { revokeAllOf } from '../auth/revoke-all'
import { insufficientScope } from '../http/bearer-challenge'
import { revocations } from '../auth/revocation-check'
import { userKey } from '../auth/user-key'
import { parseScopes } from '../auth/verify-token'
import { getConfig } from '../config/app-config'
import { ApiError, badRequest } from '../http/api-error'
import { readJson } from '../http/read-json'
import { parseBody } from '../http/request-body'
import { MIN_MINT_TTL_SECONDS, MintBody, RevokeBody } from './admin-token-bodies'
import { issueAccessToken } from './issue-token'
import { newJti, ownerOf } from './token-ids'
import { userObjectByKey } from '../users/user-stub'

/**
 * Operators act for others (the MiroTalk P2P token API: a host mints time-boxed guest tokens).
 * Both routes need the admin role and the `admin` scope. An identity provider's admin (mapped to
 * admin by its TRUSTED_ISSUERS entry) revokes only its own issuer's users and mints nothing: edge
 * tokens make edge users, which are the edge operator's (admin-reach.ts).
 */
export const adminTokenRoutes = new Hono<AppEnv>()
  /**
   * `{sub, role?, scope?, ttl_seconds}` → `{token, jti, expires_at}`. The minted token never has
   * more than its minter: its scopes are a subset of the minter's, it ends no later than the
   * minter's own token (and TOKEN_MINT_MAX_TTL), and it carries the minter's `auth_time`, so it is
   * no "fresher" than the human behind it.
   */
  .post('/admin/tokens', requireUser({ roles: ['admin'], scope: 'admin', reach: 'all' }), async (c) => {
    const auth = await getAuthConfig(c.env)
    const minter = c.get('user')
    const { sub, role, scope, ttl_seconds: ttl } = parseBody(MintBody, await readJson(c, 4096))
    if (!Object.hasOwn(getConfig(c.env).tiers, role)) throw badRequest('"role" must be one of the configured tiers', 'invalid_request')
    if (ttl > auth.mintMaxTtl) throw badRequest(`"ttl_seconds" must be a whole number from ${MIN_MINT_TTL_SECONDS} to ${auth.mintMaxTtl}`, 'invalid_request')
    const now = Date.now()
    if (now / 1000 + ttl > minter.expiresAt) throw new ApiError(400, 'ttl_too_long', 'a minted token cannot outlive the token that mints it')
    const granted = parseScopes(scope, role)
    const beyond = [...granted].filter((s) => !minter.scopes.has(s))
    if (beyond.length) throw insufficientScope(`you cannot grant scopes you lack: ${beyond.join(' ')}`)
    if (scope !== undefined && granted.size === 0) throw badRequest('"scope" grants nothing this role may have', 'invalid_request')

    const key = await userKey(auth.edge.issuer, sub)
    const minted = await issueAccessToken(auth, { sub, jti: newJti(key), role, scope: [...granted].join(' '), ttlSeconds: ttl, authTime: minter.authTime }, now)
    c.set('logFields', { action: 'admin.token_mint', resource: minted.jti, for_sub: sub, for_role: role })
    return c.json({ token: minted.token, jti: minted.jti, expires_at: new Date(minted.expiresAt * 1000).toISOString() }, 201, { 'Cache-Control': 'no-store' })
  })

  /**
   * `{jti}` revokes one token (and, for a login's token, its session and refresh tokens): an
   * edge-issued `jti` names its owner (token-ids.ts); for another issuer's token send `sub` and
   * `issuer` with it, and its `exp` if it lives longer than 31 days. `{sub, issuer}` alone revokes
   * every token and session of that user issued up to now. `issuer` must be one the edge knows
   * (400 otherwise) and may be left out only when the edge trusts no other issuer. Takes effect at
   * once on this isolate and within REVOCATION_CACHE_SECONDS everywhere (exactly, for synthesis).
   */
  .post('/admin/revoke', requireUser({ roles: ['admin'], scope: 'admin' }), async (c) => {
    const auth = await getAuthConfig(c.env)
    const admin = c.get('user')
    const body = parseBody(RevokeBody, await readJson(c, 4096))
    const { jti, sub, exp } = body
    if (jti === undefined && sub === undefined) throw badRequest('send {"jti": "..."} or {"sub": "...", "issuer": "..."}', 'invalid_request')
    if (sub === undefined && body.issuer !== undefined) throw badRequest('"issuer" names whose "sub": send the "sub" too', 'invalid_request')
    // A bare edge jti belongs to an edge user (only the edge mints them, for its own users).
    const issuer =
      sub !== undefined ? adminTargetIssuer(auth, admin, body.issuer, { field: 'issuer', required: true }) : adminTargetIssuer(auth, admin, auth.edge.issuer, { field: 'issuer' })
    const key = sub !== undefined ? await userKey(issuer, sub) : ownerOf(jti as string)
    if (!key) throw badRequest('this jti was not issued by the edge: send its "sub" and "issuer" too', 'invalid_request')
    if (jti !== undefined) {
      // A revoked jti is remembered until the token would expire anyway: give `exp` for a token
      // that lives longer than the default memory (31 days), e.g. a long-lived IdP token.
      const alsoRevoked = await userObjectByKey(c.env, key).revokeTokens({ jti, ...(exp !== undefined ? { expiresAt: exp * 1000 } : {}) })
      revocations.noteRevoked(key, { jtis: [jti, ...alsoRevoked] })
      c.set('logFields', { action: 'admin.revoke', resource: jti })
      return c.json({ revoked: { jti } }, 200)
    }
    const second = await revokeAllOf(c.env, key)
    c.set('logFields', { action: 'admin.revoke', resource: `${issuer} ${sub}` })
    return c.json({ revoked: { sub, issuer, issued_before: new Date((second + 1) * 1000).toISOString() } }, 200)
  })
