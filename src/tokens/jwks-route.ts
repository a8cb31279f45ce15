import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { getAuthConfig } from '../auth/auth-config'

/**
 * The public halves of SIGNING_JWK and SIGNING_JWK_PREVIOUS (RFC 7517), for anyone verifying the
 * edge's tokens. Empty without SIGNING_JWK (HS256 tokens are verified with the shared secret only).
 * Cached for 5 minutes; a verifier that meets an unknown `kid` should refetch (as jose's remote
 * JWKS does), since a new SIGNING_JWK signs from the moment it is deployed.
 */
export const jwksRoutes = new Hono<AppEnv>().get('/.well-known/jwks.json', async (c) => {
  const { signing } = (await getAuthConfig(c.env)).edge
  return c.json(signing?.publicJwks ?? { keys: [] }, 200, { 'Cache-Control': 'public, max-age=300', 'Content-Type': 'application/jwk-set+json' })
})
