import fc from 'fast-check'
import { FLAC_FIXTURES } from './flac-fixtures'
import { makeFlac, makeWav } from './make-audio'

/**
 * fast-check arbitraries of HTTP requests to the Worker, for test/fuzz.test.ts: every route the app
 * declares (read from `app.routes`, so routes added later are fuzzed too), with path parameters,
 * queries, headers, JSON and multipart bodies that are hostile, malformed or one mutation away from
 * valid, and a token that is valid (a fresh user each case), broken, or missing.
 */

export interface RouteSpec {
  method: string
  path: string
}

export type AuthSpec =
  | { kind: 'none' }
  /** A valid token of one of the suite's users (`user` picks which), with this role, scope and age. */
  | { kind: 'user'; user: number; role: string; scope: string | undefined; ageSeconds: number; via: 'bearer' | 'cookie' | 'cookie+csrf' }
  | { kind: 'broken'; how: BrokenToken }
  /** Correctly signed for the edge, with claims of any value and type (dates, sub, role, scope…). */
  | { kind: 'claims'; claims: Record<string, unknown> }

export const BROKEN_TOKENS = [
  'expired',
  'wrong-secret',
  'wrong-audience',
  'unknown-issuer',
  'alg-none',
  'garbage',
  'exp-1e20',
  'iat-future',
  'no-sub',
  'huge',
  'sub-too-long',
] as const
export type BrokenToken = (typeof BROKEN_TOKENS)[number]

export type Part = { name: string; value: string } | { name: string; file: Uint8Array; filename: string; type: string }

export type BodySpec = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'text'; text: string; type: string | undefined } | { kind: 'multipart'; parts: Part[] }

export interface FuzzCase {
  method: string
  route: string
  path: string
  headers: [string, string][]
  body: BodySpec
  auth: AuthSpec
  ip: string
}

/**
 * Strings that have broken parsers before: empty, huge, control characters, lone surrogates,
 * number-like, path-like. (Not the dev origin's `[[dev:…]]` fault directives: those make it fail on
 * purpose, as no real origin does.)
 */
const nastyString = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\n',
  'a'.repeat(5000),
  '好'.repeat(1200),
  '\ud800',
  '💥🎤',
  '\u202e',
  '../..',
  '%',
  '%zz',
  '%2F%2e%2e',
  'null',
  '1e309',
  '-0',
  'NaN',
  '<script>alert(1)</script>',
  'You are a helpful assistant.<|endofprompt|>',
)

const nastyNumber = fc.constantFrom(0, -0, -1, 1, 0.5, 59, 60, 61, 86_400, 2 ** 31, 2 ** 53 + 2, 1e20, 1e308, -1e308, 253_402_300_800, Number.MIN_VALUE)

/** Any JSON value, with the nasty ones over-represented. */
export const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 4 },
  { arbitrary: nastyString, weight: 3 },
  { arbitrary: nastyNumber, weight: 3 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
  { arbitrary: fc.constantFrom(true, false, null, [], {}), weight: 1 },
)

/** Every field name a route of ours reads, so random objects hit real fields. */
const FIELD_NAMES = [
  'username',
  'password',
  'cookie',
  'device_token',
  'refresh_token',
  'sub',
  'role',
  'scope',
  'ttl_seconds',
  'jti',
  'issuer',
  'exp',
  'text',
  'mode',
  'voice_id',
  'speaker',
  'instruct',
  'format',
  'max_downloads',
  'note',
  'name',
  'prompt_text',
  '__proto__',
  'constructor',
]

const randomObject = fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 12 })), jsonValue, { maxKeys: 6 })

/** The dev origin's preset speakers: an unknown one fails at the origin, by the stock protocol, as a 502 (see fuzz.test.ts). */
export const PRESET_SPEAKERS = ['中文女', '中文男', '英文女', '英文男', '日语男', '粤语女', '韩语女']

/**
 * A valid body for each route that takes JSON; a case mutates it (drops, replaces or adds one
 * field) or sends it as is. Routes not listed get random objects.
 */
const VALID_BODIES: Record<string, () => fc.Arbitrary<Record<string, unknown>>> = {
  'POST /auth/login': () =>
    fc.record({ username: fc.string({ minLength: 1, maxLength: 20 }).map((s) => `fuzz-${s}`), password: fc.string({ minLength: 1, maxLength: 30 }), cookie: fc.boolean() }),
  'POST /auth/refresh': () => fc.record({ refresh_token: fc.stringMatching(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/) }),
  'POST /admin/tokens': () =>
    fc.record({
      sub: fc.string({ minLength: 1, maxLength: 30 }),
      role: fc.constantFrom('free', 'premium', 'admin', 'burst'),
      scope: fc.constantFrom('tts', 'audio voices', 'share'),
      ttl_seconds: fc.integer({ min: 60, max: 600 }),
    }),
  'POST /admin/revoke': () =>
    fc.oneof(
      fc.record({
        jti: fc.string({ minLength: 1, maxLength: 60 }),
        sub: fc.string({ minLength: 1, maxLength: 30 }),
        issuer: fc.constant('cosyvoice-edge'),
        exp: fc.integer({ min: 1, max: 2 ** 40 }),
      }),
      fc.record({ sub: fc.string({ minLength: 1, maxLength: 30 }), issuer: fc.constantFrom('cosyvoice-edge', 'https://idp-stable.test') }),
    ),
  'POST /v1/api-keys': () =>
    fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }), scope: fc.constantFrom('tts', 'audio voices', 'share'), ttl_seconds: fc.integer({ min: 60, max: 86_400 }) }),
  'POST /v1/tts': () =>
    fc.record({
      text: fc.string({ minLength: 1, maxLength: 30 }).map((s) => `读 ${s}`),
      mode: fc.constant('sft'),
      speaker: fc.constantFrom(...PRESET_SPEAKERS),
      format: fc.constantFrom('wav', 'pcm'),
    }),
  'POST /v1/audio/:id/link': () => fc.record({ ttl_seconds: fc.integer({ min: 1, max: 3600 }) }),
  'POST /v1/audio/:id/shares': () =>
    fc.record({ ttl_seconds: fc.integer({ min: 1, max: 3600 }), max_downloads: fc.integer({ min: 1, max: 5 }), note: fc.string({ maxLength: 20 }) }),
}

function mutated(valid: fc.Arbitrary<Record<string, unknown>>, route: string): fc.Arbitrary<unknown> {
  return fc.tuple(valid, fc.nat(), jsonValue, fc.string({ maxLength: 10 }), fc.constantFrom('keep', 'drop', 'replace', 'add')).map(([body, n, value, extra, how]) => {
    const keys = Object.keys(body)
    const key = keys[n % Math.max(1, keys.length)]
    const out: Record<string, unknown> = { ...body }
    if (how === 'drop' && key) delete out[key]
    // A tts speaker stays a preset one or stops being a string: see PRESET_SPEAKERS.
    if (how === 'replace' && key && !(route === 'POST /v1/tts' && key === 'speaker' && typeof value === 'string')) out[key] = value
    if (how === 'add') out[extra] = value
    return out
  })
}

/** Prompt files: valid, one byte or a cut away from valid, hollow, silent, or not audio at all. */
const promptFile: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom(
    makeWav({ sampleRate: 16000, seconds: 1.1 }),
    FLAC_FIXTURES.lpc16,
    FLAC_FIXTURES.silent16,
    FLAC_FIXTURES.hiss16,
    makeFlac({ sampleRate: 16000, seconds: 10 }).slice(0, 44),
    makeWav({ sampleRate: 8000, seconds: 2 }),
    new Uint8Array(0),
  ),
  fc
    .tuple(
      fc.constantFrom(makeWav({ sampleRate: 16000, seconds: 1.1 }), FLAC_FIXTURES.lpc16),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.option(fc.nat()),
    )
    .map(([base, edits, cut]) => {
      const bytes = base.slice(0, cut === null ? base.length : cut % (base.length + 1))
      for (const [at, value] of edits) if (bytes.length) bytes[at % bytes.length] = value
      return bytes
    }),
  fc.uint8Array({ maxLength: 200 }),
)

const multipart: fc.Arbitrary<Part[]> = fc.oneof(
  // The voice form, each field possibly changed.
  fc
    .record({
      name: fc.oneof(fc.string({ maxLength: 30 }), nastyString),
      prompt_text: fc.oneof(fc.string({ maxLength: 30 }), nastyString),
      file: promptFile,
      type: fc.constantFrom('audio/wav', 'audio/flac', 'application/octet-stream', ''),
      drop: fc.constantFrom(undefined, 'name', 'prompt_text', 'prompt_wav'),
      extra: fc.option(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }))),
      fileAsText: fc.boolean(),
    })
    .map((f) => {
      const parts: Part[] = [
        { name: 'name', value: f.name },
        { name: 'prompt_text', value: f.prompt_text },
        f.fileAsText ? { name: 'prompt_wav', value: 'not a file' } : { name: 'prompt_wav', file: f.file, filename: 'p.wav', type: f.type },
      ]
      const kept = parts.filter((p) => p.name !== f.drop)
      if (f.extra) kept.push({ name: f.extra[0], value: f.extra[1] })
      return kept
    }),
  fc.array(
    fc.oneof(
      fc.record({ name: fc.string({ maxLength: 10 }), value: fc.string({ maxLength: 30 }) }),
      fc.record({ name: fc.string({ maxLength: 10 }), file: fc.uint8Array({ maxLength: 64 }), filename: fc.string({ maxLength: 10 }), type: fc.constant('x/y') }),
    ),
    { maxLength: 4 },
  ),
)

function bodyFor(route: string): fc.Arbitrary<BodySpec> {
  const valid = VALID_BODIES[route]
  const json = valid ? fc.oneof({ arbitrary: mutated(valid(), route), weight: 3 }, { arbitrary: randomObject, weight: 1 }) : fc.oneof(randomObject, jsonValue)
  return fc.oneof(
    { arbitrary: json.map((value): BodySpec => ({ kind: 'json', value })), weight: 6 },
    { arbitrary: multipart.map((parts): BodySpec => ({ kind: 'multipart', parts })), weight: route === 'POST /v1/voices' ? 8 : 1 },
    {
      arbitrary: fc
        .record({
          text: fc.oneof(
            fc.string({ maxLength: 50 }),
            fc.constantFrom('{', '{"a":', '[]', '"x"', '{"text":"hi","mode":"sft","speaker":"中文女"', '['.repeat(20_000), '{"a":1}{"b":2}', '\ufeff{}'),
          ),
          type: fc.constantFrom(
            'application/json',
            'application/json; charset=utf-8',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=zz',
            'multipart/form-data',
            undefined,
          ),
        })
        .map((t): BodySpec => ({ kind: 'text', ...t })),
      weight: 2,
    },
    { arbitrary: fc.constant<BodySpec>({ kind: 'none' }), weight: 1 },
  )
}

const headerValue = fc.string({
  unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~'.split('')),
  maxLength: 60,
})

const headers: fc.Arbitrary<[string, string][]> = fc.array(
  fc.oneof(
    fc.tuple(
      fc.constant('range'),
      fc.oneof(
        fc.constantFrom('bytes=0-0', 'bytes=-1', 'bytes=5-1', 'bytes=0-99999999999999999999', 'bytes=a-b', 'bytes=0-1,2-3', 'bytes=-0', 'bytes=99999999-', 'items=0-1'),
        headerValue,
      ),
    ),
    fc.tuple(fc.constant('if-none-match'), fc.oneof(fc.constantFrom('*', '"x"', 'W/"x"'), headerValue)),
    fc.tuple(fc.constant('accept'), fc.oneof(fc.constantFrom('text/html', 'application/json', '*/*'), headerValue)),
    fc.tuple(fc.constant('x-csrf-token'), headerValue),
    fc.tuple(
      fc.constant('cookie'),
      fc.oneof(fc.constantFrom('__Host-access=x', '__Host-refresh=a.b', '__Host-device=a.1.b', '__Host-access=; __Host-access=y', '=; ;;'), headerValue),
    ),
    fc.tuple(fc.constant('authorization'), fc.oneof(fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a b', 'bearer x.y.z'), headerValue)),
    fc.tuple(fc.constant('content-type'), fc.oneof(fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=---x'), headerValue)),
    fc.tuple(fc.constantFrom('x-request-id', 'origin', 'referer', 'user-agent', 'x-forwarded-for', 'if-modified-since'), headerValue),
  ),
  { maxLength: 3 },
)

/** encodeURIComponent, after replacing lone surrogates (which no URL can carry). */
const encode = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'))

const pathParam = fc.oneof(
  { arbitrary: fc.stringMatching(/^[0-9a-z]{8}[0-9a-f]{24}$/), weight: 3 },
  { arbitrary: fc.string({ maxLength: 40 }).map(encode), weight: 3 },
  { arbitrary: nastyString.map(encode), weight: 2 },
  { arbitrary: fc.constantFrom('..', '.', '%zz', '%', '%2F', '%00', 'a'.repeat(3000), '%E0%A4%A', `${'x'.repeat(43)}.${'y'.repeat(43)}`), weight: 2 },
)

const query = fc.array(fc.tuple(fc.constantFrom('limit', 'cursor', 'sub', 'iss', 'download', 'x'), fc.oneof(fc.string({ maxLength: 20 }), nastyString, nastyNumber.map(String))), {
  maxLength: 3,
})

function pathFor(template: string): fc.Arbitrary<string> {
  const params = template.split('/').filter((s) => s.startsWith(':')).length
  return fc.tuple(fc.array(pathParam, { minLength: params, maxLength: params }), query).map(([values, q]) => {
    let i = 0
    const path = template.replace(/:[A-Za-z_]+/g, () => values[i++]!)
    const search = q.map(([k, v]) => `${k}=${encode(v)}`).join('&')
    return search ? `${path}?${search}` : path
  })
}

/** How many users the suite's valid tokens belong to (each case acts as one of them). */
export const FUZZ_USERS = 6

/** A token for a request to `route`: mostly valid (admin routes mostly with the admin role), else broken or missing. */
function authFor(route: string): fc.Arbitrary<AuthSpec> {
  const admin = route.includes(' /admin/')
  return fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('user' as const),
        user: fc.nat({ max: FUZZ_USERS - 1 }),
        role: fc.oneof(
          { arbitrary: fc.constant('admin'), weight: admin ? 8 : 1 },
          { arbitrary: fc.constantFrom('free', 'premium', 'unknown-role', 'tiny'), weight: admin ? 1 : 4 },
        ),
        // Most tokens have every scope of their role; some are narrowed, to the right scope or not.
        scope: fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 3 },
          { arbitrary: fc.constantFrom('tts', 'audio', 'voices', 'share', 'admin', 'tts audio voices share admin', 'nothing'), weight: 1 },
        ),
        // Fresh (a login a moment ago) or older than the 5 minutes sensitive operations need.
        ageSeconds: fc.oneof({ arbitrary: fc.constant(0), weight: 8 }, { arbitrary: fc.constant(600), weight: 1 }),
        via: fc.oneof(
          { arbitrary: fc.constant('bearer' as const), weight: 6 },
          { arbitrary: fc.constant('cookie+csrf' as const), weight: 2 },
          { arbitrary: fc.constant('cookie' as const), weight: 1 },
        ),
      }),
      weight: 12,
    },
    { arbitrary: fc.constantFrom(...BROKEN_TOKENS).map((how): AuthSpec => ({ kind: 'broken', how })), weight: 2 },
    { arbitrary: signedClaims.map((claims): AuthSpec => ({ kind: 'claims', claims })), weight: 2 },
    { arbitrary: fc.constant<AuthSpec>({ kind: 'none' }), weight: 1 },
  )
}

/** A claim's value: usually a sensible one, else anything at all. */
const claimValue = (sensible: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: sensible, weight: 2 }, { arbitrary: jsonValue, weight: 1 }, { arbitrary: fc.constant(undefined), weight: 1 })
/** A date claim: sensible, or a number no date can hold (the `exp: 1e20` of issue 13), or anything. */
const dateClaim = (sensible: fc.Arbitrary<number>) => fc.oneof({ arbitrary: claimValue(sensible), weight: 3 }, { arbitrary: nastyNumber, weight: 1 })
const nowSeconds = () => Math.floor(Date.now() / 1000)

/** The claims of a token the edge signed, each possibly of the wrong type or out of range. */
export const signedClaims: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    sub: claimValue(fc.string({ minLength: 1, maxLength: 20 }).map((s) => `fuzz-claims-${s}`)),
    exp: dateClaim(fc.integer({ min: 60, max: 7200 }).map((d) => nowSeconds() + d)),
    iat: dateClaim(fc.integer({ min: 0, max: 900 }).map((d) => nowSeconds() - d)),
    nbf: dateClaim(fc.integer({ min: -60, max: 60 }).map((d) => nowSeconds() + d)),
    auth_time: dateClaim(fc.integer({ min: 0, max: 900 }).map((d) => nowSeconds() - d)),
    role: claimValue(fc.constantFrom('free', 'premium', 'admin', ['admin'], 'emperor')),
    scope: claimValue(fc.constantFrom('tts', 'tts audio voices share admin', ['tts', 'audio'], '')),
    jti: claimValue(fc.string({ minLength: 1, maxLength: 30 })),
    sid: claimValue(fc.string({ minLength: 1, maxLength: 30 })),
  })
  .map((claims) => Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined)))

const clientIp = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('unknown'), headerValue)

/** A request to one of `routes`, or (a tenth of the time) another method or a path nobody declared. */
export function fuzzCase(routes: readonly RouteSpec[]): fc.Arbitrary<FuzzCase> {
  // A login runs PBKDF2 (100 000 rounds, known user or not): fewer of those keep the suite fast.
  const weighted = routes.map((r) => ({ arbitrary: fc.constant(r), weight: r.path === '/auth/login' ? 1 : 4 }))
  const declared = fc.oneof(...weighted).chain((r) => {
    const route = `${r.method} ${r.path}`
    return fc.record({ method: fc.constant(r.method), route: fc.constant(route), path: pathFor(r.path), headers, body: bodyFor(route), auth: authFor(route), ip: clientIp })
  })
  const stray = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
    route: fc.constant('(undeclared)'),
    path: fc.oneof(
      fc.constantFrom(...routes).chain((r) => pathFor(r.path)),
      fc.webPath().map((p) => p || '/'),
    ),
    headers,
    body: bodyFor('(undeclared)'),
    auth: authFor('(undeclared)'),
    ip: clientIp,
  })
  return fc.oneof({ arbitrary: declared, weight: 9 }, { arbitrary: stray, weight: 1 })
}

/**
 * Requests whose token the edge signed, with any claims: to the routes that take no path parameter
 * and answer a GET (where a claim's value is shown or used: /auth/me, /v1/usage, /v1/audit …).
 */
export function signedClaimsCase(routes: readonly RouteSpec[]): fc.Arbitrary<FuzzCase> {
  const reading = routes.filter((r) => r.method === 'GET' && !r.path.includes(':'))
  return fc
    .record({
      method: fc.constant('GET'),
      route: fc.constantFrom(...reading.map((r) => `GET ${r.path}`)),
      headers: fc.constant<[string, string][]>([]),
      body: fc.constant<BodySpec>({ kind: 'none' }),
      auth: signedClaims.map((claims): AuthSpec => ({ kind: 'claims', claims })),
      ip: fc.constant('198.51.100.1'),
    })
    .map((c) => ({ ...c, path: c.route.slice(4) }))
}
