import { createLocalJWKSet, importJWK, type JWK, type JWTVerifyGetKey } from 'jose'
import { ConfigError } from '../config/config-error'

/** Asymmetric algorithms the edge signs with. Never an HMAC: a public key must not verify as a secret. */
const ASYMMETRIC_ALGS = ['ES256', 'EdDSA'] as const
export type AsymmetricAlg = (typeof ASYMMETRIC_ALGS)[number]

export interface SigningKeys {
  /** Signs new tokens (SIGNING_JWK). */
  current: { kid: string; alg: AsymmetricAlg; privateKey: CryptoKey }
  /** Public halves of SIGNING_JWK and SIGNING_JWK_PREVIOUS, published at /.well-known/jwks.json. */
  publicJwks: { keys: JWK[] }
  /** Picks the verification key by `kid` among the published ones. */
  verifyKey: JWTVerifyGetKey
  algorithms: AsymmetricAlg[]
}

/**
 * Parses `SIGNING_JWK` (a private ES256 or EdDSA JWK with a `kid`) and, during a rotation,
 * `SIGNING_JWK_PREVIOUS` (the old key, private or public). Rotation: move the current key to
 * SIGNING_JWK_PREVIOUS, put a new one in SIGNING_JWK, and remove the previous one once every token
 * it signed has expired (ACCESS_TTL, or the longest minted token). Undefined without SIGNING_JWK:
 * the edge then signs with HS256 and JWT_SECRET.
 */
export async function parseSigningKeys(currentRaw: string | undefined, previousRaw: string | undefined): Promise<SigningKeys | undefined> {
  if (!currentRaw?.trim()) {
    if (previousRaw?.trim()) throw new ConfigError('SIGNING_JWK_PREVIOUS is set without SIGNING_JWK')
    return undefined
  }
  const current = readJwk(currentRaw, 'SIGNING_JWK')
  if (typeof current.d !== 'string') throw new ConfigError('SIGNING_JWK must be a private key (it has no "d")')
  const keys = [current]
  if (previousRaw?.trim()) {
    const previous = readJwk(previousRaw, 'SIGNING_JWK_PREVIOUS')
    if (previous.kid === current.kid) throw new ConfigError('SIGNING_JWK_PREVIOUS must have another "kid" than SIGNING_JWK')
    keys.push(previous)
  }
  let privateKey: CryptoKey
  try {
    privateKey = (await importJWK(current, current.alg)) as CryptoKey
  } catch (e) {
    throw new ConfigError(`SIGNING_JWK cannot be imported: ${e instanceof Error ? e.message : String(e)}`)
  }
  const publicJwks = { keys: keys.map(publicHalf) }
  return {
    current: { kid: current.kid!, alg: current.alg as AsymmetricAlg, privateKey },
    publicJwks,
    verifyKey: createLocalJWKSet(publicJwks),
    algorithms: [...new Set(keys.map((k) => k.alg as AsymmetricAlg))],
  }
}

function readJwk(raw: string, name: string): JWK {
  let jwk: unknown
  try {
    jwk = JSON.parse(raw)
  } catch {
    throw new ConfigError(`${name} is not valid JSON`)
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new ConfigError(`${name} must be a JWK object`)
  const k = jwk as JWK
  if (typeof k.kid !== 'string' || !k.kid) throw new ConfigError(`${name} needs a "kid"`)
  if (!ASYMMETRIC_ALGS.includes(k.alg as AsymmetricAlg)) throw new ConfigError(`${name} needs "alg" ES256 or EdDSA`)
  if (k.alg === 'ES256' && !(k.kty === 'EC' && k.crv === 'P-256')) throw new ConfigError(`${name}: ES256 needs an EC P-256 key`)
  if (k.alg === 'EdDSA' && !(k.kty === 'OKP' && k.crv === 'Ed25519')) throw new ConfigError(`${name}: EdDSA needs an OKP Ed25519 key`)
  return k
}

function publicHalf(jwk: JWK): JWK {
  const { kty, crv, x, y, kid, alg } = jwk
  return { kty, crv, x, ...(y ? { y } : {}), kid, alg, use: 'sig' }
}
