import { exportJWK, generateKeyPair, type JWK } from 'jose'

/** The edge's signing keys of one test run, made afresh in globalSetup: no private key is committed. */
export interface TestSigningKeys {
  /** SIGNING_JWK (ES256). */
  current: JWK
  /** SIGNING_JWK_PREVIOUS: the key the current one replaced (rotation in progress). */
  previous: JWK
  /** An ES256 key the edge does not know. */
  stranger: JWK
  /** An EdDSA key, for parsing tests. */
  ed25519: JWK
}

async function privateJwk(alg: 'ES256' | 'EdDSA', kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) })
  return { ...(await exportJWK(privateKey)), kid, alg }
}

export async function makeTestSigningKeys(): Promise<TestSigningKeys> {
  return {
    current: await privateJwk('ES256', 'test-current'),
    previous: await privateJwk('ES256', 'test-previous'),
    stranger: await privateJwk('ES256', 'test-stranger'),
    ed25519: await privateJwk('EdDSA', 'test-ed'),
  }
}
