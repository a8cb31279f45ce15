import type { JWTVerifyGetKey } from 'jose'
import type { TrustedIssuer } from './issuer-entry'
import { discoveredJwksUri } from './oidc-discovery'
import { remoteKeySet } from './remote-key-set'

const TIMEOUT_MS = 5000

/** Key sets live as long as the isolate, across config objects, so their caches are shared. */
const keySets = new Map<string, JWTVerifyGetKey>()

/**
 * The keys that verify an issuer's tokens: its JWKS, from the entry's `jwks_uri` or from its
 * discovery document. Throws DiscoveryError when discovery cannot say where they are.
 */
export async function issuerKeys(issuer: TrustedIssuer): Promise<JWTVerifyGetKey> {
  const { cooldownMs, cacheMaxAgeMs } = issuer
  const url = 'jwksUri' in issuer.keys ? issuer.keys.jwksUri : await discoveredJwksUri(issuer.issuer, { cooldownMs, cacheMaxAgeMs, timeoutMs: TIMEOUT_MS })
  const cacheKey = JSON.stringify([url.href, cooldownMs, cacheMaxAgeMs])
  let keys = keySets.get(cacheKey)
  if (!keys) {
    keys = remoteKeySet(url, { cooldownMs, cacheMaxAgeMs, timeoutMs: TIMEOUT_MS })
    keySets.set(cacheKey, keys)
  }
  return keys
}
