import type { TestSigningKeys } from './support/signing-keys'

/** What test/global-setup.ts provides to every test file (`inject('…')`). */
declare module 'vitest' {
  export interface ProvidedContext {
    originUrls: string[]
    /** A dev origin speaking with eSpeak-NG (slow, serialized): for tests where the speech matters. */
    speechOriginUrl: string
    /** Loopback OpenID provider (test/support/jwks-server.mjs): discovery, JWKS, /sign, /rotate, /stats per tenant. */
    jwksUrl: string
    /** Origins for the pool tests (test/origins.test.ts): each counts its own concurrency. */
    poolOrigins: { single1: string; single2: string; empty: string; refused: string }
    /** The edge's signing keys of this run (private JWKs). */
    signingKeys: TestSigningKeys
  }
}
