/**
 * The bench's helper Worker: what must run inside workerd, driven over HTTP by bench/run.mjs.
 * workerd freezes `Date.now()` and `performance.now()` during pure computation (a Spectre
 * mitigation), so nothing here times itself:
 *
 * - `GET /verify?case=&n=`: JWT verification, jose vs a bare `crypto.subtle` verify (same checks);
 *   the caller times a request doing `n` against one doing none.
 * - `GET /capacity/{noop,user,pool}?…`: how many calls one Durable Object answers per second. The
 *   setup runs first; the response then streams one line when the measured part starts and one
 *   when it ends, and the caller times the gap between them (pending RPC calls cannot outlive the
 *   request that made them, so setup, run and teardown are one request).
 * - `POST /proxy-tts`: a synthesis through a Worker that only checks the token (the app's own
 *   requireUser middleware and openOriginStream; no limits, no origin admission, no storage).
 */
import { DurableObject } from 'cloudflare:workers'
import { Hono } from 'hono'
import { createRemoteJWKSet, importJWK, jwtVerify, type JWK, type JWTVerifyGetKey } from 'jose'
import type { AppEnv } from '../../src/app-env'
import { getAuthConfig } from '../../src/auth/auth-config'
import { requireUser } from '../../src/auth/require-user'
import { verifyAccessToken } from '../../src/auth/verify-token'
import { parseOrigins } from '../../src/config/origins'
import { parseTiers, tierFor } from '../../src/config/tiers'
import type { Env } from '../../src/env'
import { originForm } from '../../src/origin/cosyvoice-form'
import { openOriginStream } from '../../src/origin/origin-call'
import type { OriginPool } from '../../src/pool/origin-pool'
import type { AcquireResult, PoolPolicy } from '../../src/pool/pool-types'
import type { UserObject } from '../../src/users/user-object'

// Run with the edge's own bindings (bench/lib/runtime.mjs), so it exports the edge's Durable
// Object classes and has every binding the app's middleware expects.
export * from '../../src/index'

/** The least a Durable Object call can cost: the floor under the capacity rows. */
export class NoopObject extends DurableObject {
  ping(): number {
    return 1
  }
}

interface BenchEnv extends Env {
  /** JSON: {hs256:{secret,token}, es256:{jwk,token}, rs256:{jwk,token}} signed by the bench. */
  BENCH_KEYS: string
  /** Where the bench serves the ES256 public key as a JWKS. */
  BENCH_JWKS_URL: string
  NOOP: DurableObjectNamespace<NoopObject>
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
    const q = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback)
    switch (url.pathname) {
      case '/health':
        return Response.json({ ok: true })
      case '/verify': {
        cases ??= buildCases(env)
        const verify = (await cases)[url.searchParams.get('case') ?? '']
        if (!verify) return Response.json({ error: 'unknown case', cases: Object.keys(await cases) }, { status: 400 })
        await verify() // a case that fails must fail loudly, even with n=0
        const n = q('n', 0)
        for (let i = 0; i < n; i++) await verify()
        return Response.json({ n })
      }
      case '/capacity/noop':
        return timed(async () => {
          const stub = env.NOOP.get(env.NOOP.idFromName(`noop-${crypto.randomUUID()}`))
          await stub.ping()
          return async () => {
            await chains(q('conc', 1), q('n', 0), () => stub.ping())
            return { calls: q('n', 0) }
          }
        })
      case '/capacity/user':
        return timed(() => userCapacity(env, url.searchParams.get('op') ?? 'admit-settle', q('n', 0), q('conc', 1)))
      case '/capacity/pool':
        return timed(() => poolCapacity(env, { origins: q('origins', 1), waiting: q('waiting', 0), n: q('n', 0), conc: q('conc', 1), op: url.searchParams.get('op') ?? 'cycle' }))
      case '/proxy-tts':
        return proxy.fetch(request, env, ctx)
      default:
        return new Response('not found', { status: 404 })
    }
  },
} satisfies ExportedHandler<BenchEnv>

/**
 * Runs `setup`, then streams `start` when the measured part begins and `end {…}` when it is over;
 * the bench times the gap between the two lines (then the teardown the run returned, if any).
 */
function timed(setup: () => Promise<() => Promise<Record<string, unknown> & { teardown?: () => Promise<void> }>>): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
  const writer = writable.getWriter()
  const line = (text: string) => writer.write(new TextEncoder().encode(`${text}\n`))
  void (async () => {
    try {
      const run = await setup()
      await line('start')
      const { teardown, ...result } = await run()
      await line(`end ${JSON.stringify(result)}`)
      await teardown?.()
    } catch (e) {
      await line(`error ${String((e as Error)?.stack ?? e)}`)
    } finally {
      await writer.close()
    }
  })()
  return new Response(readable, { headers: { 'content-type': 'text/plain' } })
}

/** `n` calls of `call`, at most `conc` in flight. */
async function chains(conc: number, n: number, call: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(conc, n)) }, async () => {
      while (next < n) await call(next++)
    }),
  )
}

type UserStub = DurableObjectStub<UserObject>

/**
 * The admin tier: no limit refuses, so every call measures a full decision. (Settings are parsed
 * here, not with getConfig, which also insists on bindings this Worker does not need.)
 */
const unlimited = (env: Env) => tierFor(parseTiers(env.TIERS), 'admin').tier

/** One admission as the app makes it (with the token reference the revocation check reads). */
async function admit(stub: UserStub, tier: ReturnType<typeof unlimited>): Promise<string> {
  const result = await stub.admit(tier, crypto.randomUUID(), { jti: crypto.randomUUID(), issuedAt: Math.floor(Date.now() / 1000) })
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`)
  return result.reservation
}

/**
 * One user's object: `admit-settle` pairs (a whole synthesis' worth of limit calls), or `renew`s of
 * `conc` running syntheses' leases.
 */
async function userCapacity(env: Env, op: string, n: number, conc: number) {
  const tier = unlimited(env)
  const stub = env.USERS.get(env.USERS.idFromName(`capacity-${crypto.randomUUID()}`))
  await stub.settle(await admit(stub, tier), { ok: false }, tier)
  if (op === 'renew') {
    const leases = await Promise.all(Array.from({ length: conc }, () => admit(stub, tier)))
    return async () => {
      await chains(conc, n, (i) => stub.renew(leases[i % conc]!))
      return { calls: n, teardown: async () => void (await Promise.all(leases.map((r) => stub.settle(r, { ok: false }, tier)))) }
    }
  }
  return async () => {
    await chains(conc, n, async () => stub.settle(await admit(stub, tier), { ok: false }, tier))
    return { calls: 2 * n }
  }
}

/**
 * One pool object with `origins` origins of one slot each, all busy, and `waiting` requests in its
 * queue (one user each: the fair queue's worst case), then `n` operations:
 * - `cycle`: a running synthesis ends (release) and another request arrives (acquire), `conc` at a
 *   time; each release seats the fairest waiter, and each new request joins the queue, so it stays
 *   `waiting` long. With no queue, the acquire is granted at once (an acquire + release pair).
 * - `renew`: lease renewals of the running syntheses.
 * The origins are never called (no breaker opens, no probe runs).
 */
async function poolCapacity(env: Env, o: { origins: number; waiting: number; n: number; conc: number; op: string }) {
  const run = crypto.randomUUID().slice(0, 8)
  const policy: PoolPolicy = {
    origins: Array.from({ length: o.origins }, (_, i) => ({ url: `http://gpu-${i}.bench.invalid:50000`, name: `gpu-${i}`, concurrency: 1, weight: 1 })),
    queuePerUser: 10,
    queueMax: o.waiting + o.n + o.origins + 100,
    queueTimeoutMs: 300_000,
    breakerFailures: 3,
    breakerCooldownMs: 30_000,
  }
  const stub: DurableObjectStub<OriginPool> = env.ORIGIN_POOL.get(env.ORIGIN_POOL.idFromName(`capacity-${run}`))
  const granted: string[] = []
  const pending = new Map<string, Promise<AcquireResult>>()
  let arrivals = 0
  const arrive = () => {
    const ticket = `t-${arrivals}`
    const call = stub.acquire(policy, ticket, `user-${arrivals++}`).then((r) => {
      pending.delete(ticket)
      if (!r.ok) throw new Error(`acquire refused: ${JSON.stringify(r)}`)
      granted.push(ticket)
      return r
    })
    pending.set(ticket, call)
    call.catch(() => {})
    return call
  }
  for (let i = 0; i < o.origins; i++) await arrive()
  for (let i = 0; i < o.waiting; i++) void arrive()
  for (let i = 0; (await stub.status(policy)).queue.waiting < o.waiting; i++) if (i > 200) throw new Error('the queue did not fill')

  const teardown = async () => {
    await Promise.all([...pending.keys()].map((t) => stub.cancel(t)))
    await Promise.all(granted.splice(0).map((t) => stub.release(t, {})))
  }
  if (o.op === 'renew') {
    const held = [...granted]
    return async () => {
      await chains(o.conc, o.n, (i) => stub.renew(held[i % held.length]!))
      return { calls: o.n, teardown }
    }
  }
  /** A granted ticket, waiting for a grant if none is free right now. */
  const take = async (): Promise<string> => {
    for (;;) {
      const ticket = granted.shift()
      if (ticket) return ticket
      await Promise.race(pending.values())
    }
  }
  return async () => {
    await chains(o.conc, o.n, async () => {
      const ticket = await take()
      await stub.release(ticket, {})
      const arrival = arrive()
      if (o.waiting === 0) await arrival
    })
    return { calls: 2 * o.n, waitingAtEnd: (await stub.status(policy)).queue.waiting, teardown }
  }
}

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
