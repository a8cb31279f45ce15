import type { TestSigningKeys } from './support/signing-keys'

/** What test/global-setup.ts provides to every test file (`inject('…')`). */
declare module 'vitest' {
  export interface ProvidedContext {
    originUrls: string[]
    /** A dev origin speaking with eSpeak-NG (slow, serialized): for tests where the speech matters. */
    speechOriginUrl: string
    /** Loopback OpenID provider (test/support/jwks-server.mjs): discovery, JWKS, /sign, /rotate, /stats per tenant. */
    jwksUrl: string
    /**
     * Origins for the pool tests (test/origins.test.ts), all CosyVoice3 with the preset speakers
     * unless named otherwise; each counts its own concurrency. `broken` fails every synthesis until
     * told otherwise (POST /__dev/fault); `v2` is a CosyVoice2 model.
     */
    poolOrigins: { single1: string; single2: string; broken: string; v2: string; refused: string }
    /** A single-slot origin only test/request-path.test.ts uses (it keeps it busy on purpose). */
    queueOrigin: string
    /** The edge's signing keys of this run (private JWKs). */
    signingKeys: TestSigningKeys
    /** A tone-engine origin of its own for the fuzz suite (test/fuzz.test.ts): fast, and nobody's counts. */
    fuzzOrigin: string
    /** The Worker under workerd on a real loopback socket (test/cut-stream.test.ts). */
    socketEdgeUrl: string
  }
}
