// Tokens and keys for the bench: edge-style HS256 access tokens, and the ES256/RS256 keys and tokens
// the verification microbenchmark checks (the ES256 public key is also served as a JWKS).
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { randomBytes } from 'node:crypto'

const ISSUER = 'cosyvoice-edge'
const AUDIENCE = 'cosyvoice-edge'

export const randomSecret = () => randomBytes(32).toString('base64url')

/** An access token as the edge issues it. */
export function accessToken(secret, sub, role, ttlSeconds = 3600) {
  return sign(new SignJWT({ role }), 'HS256', sub, ttlSeconds).sign(new TextEncoder().encode(secret))
}

function sign(jwt, alg, sub, ttlSeconds, kid) {
  const now = Math.floor(Date.now() / 1000)
  return jwt
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .setJti(crypto.randomUUID())
}

/** Keys and tokens for each algorithm; `jwks` is what a JWKS endpoint would publish. */
export async function verificationKeys(hsSecret) {
  const es = await generateKeyPair('ES256', { extractable: true })
  const rs = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 })
  const esJwk = { ...(await exportJWK(es.publicKey)), kid: 'bench-es256', alg: 'ES256', use: 'sig' }
  const rsJwk = { ...(await exportJWK(rs.publicKey)), alg: 'RS256' }
  return {
    keys: {
      hs256: { secret: hsSecret, token: await accessToken(hsSecret, 'bench-verify', 'free') },
      es256: { jwk: esJwk, token: await sign(new SignJWT({}), 'ES256', 'bench-verify', 3600, 'bench-es256').sign(es.privateKey) },
      rs256: { jwk: rsJwk, token: await sign(new SignJWT({}), 'RS256', 'bench-verify', 3600).sign(rs.privateKey) },
    },
    jwks: { keys: [esJwk] },
  }
}
