/**
 * The bench's helper Worker: what must run inside workerd, driven over HTTP by bench/run.mjs.
 * workerd freezes `Date.now()` and `performance.now()` during pure computation (a Spectre
 * mitigation), so nothing here times itself:
 *
 * - `GET /verify?case=&n=`: JWT verification, jose vs a bare `crypto.subtle` verify (same checks);
 *   the caller times a request doing `n` against one doing none.
 * (How many calls one Durable Object answers per second is bench/workers/capacity.ts.)
 * - `POST /proxy-tts`: a synthesis through a Worker that only checks the token (the app's own
 *   requireUser middleware and openOriginStream; no limits, no origin admission, no storage).
 */
import { Hono } from 'hono'
import { createRemoteJWKSet, importJWK, jwtVerify, type JWK, type JWTVerifyGetKey } from 'jose'
import type { AppEnv } from '../../src/app-env'
import { getAuthConfig } from '../../src/auth/auth-config'
import { requireUser } from '../../src/auth/require-user'
import { verifyRepeatedToken } from '../../src/auth/verified-tokens'
import { verifyAccessToken } from '../../src/auth/verify-token'
import { parseOrigins } from '../../src/config/origins'
import type { Env } from '../../src/env'
import { originForm } from '../../src/origin/cosyvoice-form'
import { openOriginStream } from '../../src/origin/origin-call'

// Run with the edge's own bindings (bench/lib/runtime.mjs), so it exports the edge's Durable
// Object classes and has every binding the app's middleware expects.
export * from '../../src/index'

interface BenchEnv extends Env {
  /** JSON: {hs256:{secret,token}, es256:{jwk,token}, rs256:{jwk,token}} signed by the bench. */
  BENCH_KEYS: string
  /** Where the bench serves the ES256 public key as a JWKS. */
  BENCH_JWKS_URL: string
}

interface BenchKeys {
  hs256: { secret: string; token: string }
  es256: { jwk: JWK; token: string }
  rs256: { jwk: JWK; token: string }
}

const ISSUER = 'cosyvoice-edge'
const AUDIENCE = 'cosyvoice-edge'

type Verify = () => Promise<unknown>
let cases: Promise<Record<string, Verify>> | undefined
let remoteJwks: JWTVerifyGetKey | undefined

/** The auth-only synthesis: the app's requireUser, then straight to the origin. */
const proxy = new Hono<AppEnv>().post('/proxy-tts', requireUser({ scope: 'tts' }), (c) => proxySynthesis(c.req.raw, c.env, c.get('user')))

export default {
  async fetch(request: Request, env: BenchEnv, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url)
    switch (url.pathname) {
      case '/health':
        return Response.json({ ok: true })
      case '/verify': {
        cases ??= buildCases(env)
        const verify = (await cases)[url.searchParams.get('case') ?? '']
        if (!verify) return Response.json({ error: 'unknown case', cases: Object.keys(await cases) }, { status: 400 })
        await verify() // a case that fails must fail loudly, even with n=0
        const n = Number(url.searchParams.get('n') ?? 0)
        for (let i = 0; i < n; i++) await verify()
        return Response.json({ n })
      }
      case '/proxy-tts':
        return proxy.fetch(request, env, ctx)
      default:
        return new Response('not found', { status: 404 })
    }
  },
} satisfies ExportedHandler<BenchEnv>

async function proxySynthesis(request: Request, env: Env, user: AppEnv['Variables']['user']): Promise<Response> {
  const body = await request.json<{ text: string; speaker: string }>()
  const origin = parseOrigins(env.ORIGINS)[0]!
  const requestId = crypto.randomUUID()
  const open = await openOriginStream(origin, {
    form: originForm({ mode: 'sft', text: body.text, speaker: body.speaker }, origin.model),
    requestId,
    userId: user.key,
    role: user.role,
    originSecret: env.ORIGIN_SECRET!,
    signal: request.signal,
    firstByteTimeoutMs: 60_000,
  })
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(open.firstChunk)
    },
    async pull(controller) {
      const { done, value } = await open.reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    cancel: (reason) => open.reader.cancel(reason),
  })
  return new Response(stream, { headers: { 'Content-Type': 'audio/L16;rate=24000;channels=1', 'X-Request-ID': requestId } })
}

async function buildCases(env: BenchEnv): Promise<Record<string, Verify>> {
  const keys = JSON.parse(env.BENCH_KEYS) as BenchKeys
  const secret = new TextEncoder().encode(keys.hs256.secret)
  const hmacKey = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
  const esKey = await crypto.subtle.importKey('jwk', keys.es256.jwk as JsonWebKey, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
  const rsKey = await crypto.subtle.importKey('jwk', keys.rs256.jwk as JsonWebKey, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify'])
  const esJoseKey = await importJWK(keys.es256.jwk, 'ES256')
  const rsJoseKey = await importJWK(keys.rs256.jwk, 'RS256')
  remoteJwks ??= createRemoteJWKSet(new URL(env.BENCH_JWKS_URL))
  const jwks = remoteJwks
  const options = (alg: string) => ({ algorithms: [alg], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp', 'sub'] })
  const [signedPart, signaturePart] = [keys.hs256.token.slice(0, keys.hs256.token.lastIndexOf('.')), keys.hs256.token.split('.')[2]!]
  const signedBytes = encoder.encode(signedPart)
  const signatureBytes = fromBase64url(signaturePart)
  const auth = await getAuthConfig(env)
  return {
    // The HMAC alone, over bytes prepared once: the crypto floor under both verifiers.
    'hs256-hmac-only': async () => {
      if (!(await crypto.subtle.verify({ name: 'HMAC' }, hmacKey, signatureBytes, signedBytes))) throw new Error('signature')
    },
    'hs256-subtle': () => bareVerify(keys.hs256.token, hmacKey, 'HS256', { name: 'HMAC' }),
    // The app's whole token check (src/auth/verify-token.ts): issuer routing, jose, claims, the user key.
    'hs256-app': () => verifyAccessToken(keys.hs256.token, auth),
    // As require-user calls it for a token it has verified before (src/auth/verified-tokens.ts).
    'hs256-app-repeat': () => verifyRepeatedToken(keys.hs256.token, auth),
    // As the app calls it: the secret as bytes, which jose imports as a CryptoKey on every call.
    'hs256-jose': () => jwtVerify(keys.hs256.token, secret, options('HS256')),
    'hs256-jose-cryptokey': () => jwtVerify(keys.hs256.token, hmacKey, options('HS256')),
    'es256-subtle': () => bareVerify(keys.es256.token, esKey, 'ES256', { name: 'ECDSA', hash: 'SHA-256' }),
    'es256-jose': () => jwtVerify(keys.es256.token, esJoseKey, options('ES256')),
    'es256-jwks': () => jwtVerify(keys.es256.token, jwks, options('ES256')),
    'rs256-subtle': () => bareVerify(keys.rs256.token, rsKey, 'RS256', { name: 'RSASSA-PKCS1-v1_5' }),
    'rs256-jose': () => jwtVerify(keys.rs256.token, rsJoseKey, options('RS256')),
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function fromBase64url(s: string): Uint8Array {
  const binary = atob(s.replace(/-/g, '+').replace(/_/g, '/'))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** The least a correct verifier does: header alg, signature, then exp/iss/aud/sub. */
async function bareVerify(token: string, key: CryptoKey, alg: string, algorithm: Parameters<SubtleCrypto['verify']>[0]): Promise<unknown> {
  const [header, payload, signature] = token.split('.')
  if (!header || !payload || !signature) throw new Error('malformed')
  if ((JSON.parse(decoder.decode(fromBase64url(header))) as { alg?: string }).alg !== alg) throw new Error('alg')
  if (!(await crypto.subtle.verify(algorithm, key, fromBase64url(signature), encoder.encode(`${header}.${payload}`)))) throw new Error('signature')
  const claims = JSON.parse(decoder.decode(fromBase64url(payload))) as { exp?: number; iss?: string; aud?: string; sub?: string }
  if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) throw new Error('exp')
  if (claims.iss !== ISSUER || claims.aud !== AUDIENCE || typeof claims.sub !== 'string') throw new Error('claims')
  return claims
}
