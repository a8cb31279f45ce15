import { toJsonSchema } from '@valibot/to-json-schema'
import type * as v from 'valibot'
import type { JsonSchema, RouteDoc, SuccessDoc } from '../http/route-doc'
import { ALL_ROUTE_DOCS } from './route-registry'

/** Every route answers these when something is broken on the operator's side (error-handler.ts). */
const SERVER_ERRORS = { 500: ['internal_error', 'misconfigured'] }

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  206: 'Partial Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** Hono's `:param` as OpenAPI's `{param}`. */
export const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')

function schemaOf(s: v.GenericSchema | JsonSchema): JsonSchema {
  if (typeof (s as { '~standard'?: unknown })['~standard'] === 'object' && 'kind' in s) {
    // errorMode 'ignore': transforms (trim) and checks JSON Schema cannot say are validated by the route anyway.
    const { $schema: _, ...schema } = toJsonSchema(s as v.GenericSchema, { target: 'draft-2020-12', errorMode: 'ignore', typeMode: 'input' }) as JsonSchema
    return schema
  }
  return s as JsonSchema
}

/** Every status and error code a route can answer, from what it declares plus its auth, body and limits. */
export function errorsOf(route: RouteDoc): Record<number, string[]> {
  const all: Record<number, Set<string>> = {}
  const add = (errors: Record<number, readonly string[]> | undefined) => {
    for (const [status, codes] of Object.entries(errors ?? {})) {
      const set = all[Number(status)] ?? new Set<string>()
      for (const code of codes) set.add(code)
      all[Number(status)] = set
    }
  }
  if (route.auth !== 'none') add({ 401: ['invalid_token'], 403: ['insufficient_scope', 'csrf_failed'], 429: ['rate_limited'] })
  if (route.freshAuth) add({ 401: ['reauth_required'] })
  if (route.anonymousLimit) add({ 429: ['rate_limited'] })
  if (route.body && 'json' in route.body) add({ 400: ['invalid_json', 'invalid_request'], 413: ['body_too_large'], 415: ['unsupported_media_type'] })
  add(route.errors)
  add(SERVER_ERRORS)
  return Object.fromEntries(Object.entries(all).map(([s, codes]) => [s, [...codes].sort()]))
}

const errorBody = (codes: readonly string[]): JsonSchema => ({
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'request_id'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', enum: codes },
        message: { type: 'string' },
        request_id: { type: ['string', 'null'] },
      },
    },
  },
})

const ERROR_HEADERS: Record<number, Record<string, string>> = {
  401: { 'WWW-Authenticate': 'Bearer challenge (RFC 6750 §3)' },
  429: { 'Retry-After': 'seconds until a retry can succeed' },
  503: { 'Retry-After': 'seconds until a retry can succeed' },
}

const headersOf = (headers: Record<string, string> | undefined) =>
  headers && Object.keys(headers).length
    ? { headers: Object.fromEntries(Object.entries(headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }
    : {}

function success(doc: SuccessDoc) {
  const content: Record<string, { schema: JsonSchema }> = {}
  if (doc.json) content['application/json'] = { schema: schemaOf(doc.json) }
  for (const [media, schema] of Object.entries(doc.media ?? {})) content[media] = { schema }
  return { description: doc.description, ...headersOf(doc.headers), ...(Object.keys(content).length ? { content } : {}) }
}

function parametersOf(route: RouteDoc) {
  const params: unknown[] = [...route.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }))
  if (route.query) {
    const q = schemaOf(route.query) as { properties?: Record<string, JsonSchema & { description?: string }>; required?: string[] }
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const { description, ...rest } = schema
      params.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema: rest, ...(description ? { description } : {}) })
    }
  }
  return params.length ? { parameters: params } : {}
}

const SECURITY = {
  user: [{ bearerAuth: [] }, { apiKey: [] }, { cookieSession: [], csrfToken: [] }],
  admin: [{ bearerAuth: [] }, { apiKey: [] }, { cookieSession: [], csrfToken: [] }],
}

function operation(route: RouteDoc) {
  const responses: Record<string, unknown> = {}
  for (const [status, doc] of Object.entries(route.responses)) responses[status] = success(doc)
  for (const [status, codes] of Object.entries(errorsOf(route))) {
    responses[status] = {
      description: `${STATUS_TEXT[Number(status)] ?? 'Error'}: ${codes.join(', ')}`,
      ...headersOf(ERROR_HEADERS[Number(status)]),
      content: { 'application/json': { schema: errorBody(codes) } },
    }
  }
  const needs = [route.scope && `the \`${route.scope}\` scope`, route.auth === 'admin' && 'the admin role', route.freshAuth && 'a login within the last 5 minutes'].filter(Boolean)
  const description = [route.description, needs.length ? `Needs ${needs.join(', ')}.` : ''].filter(Boolean).join('\n\n')
  let requestBody: unknown
  if (route.body && 'json' in route.body) requestBody = { required: !route.body.optional, content: { 'application/json': { schema: schemaOf(route.body.json) } } }
  else if (route.body) requestBody = { required: true, content: { 'multipart/form-data': { schema: route.body.multipart } } }
  return {
    operationId: operationId(route),
    summary: route.summary,
    ...(description ? { description } : {}),
    tags: [route.tag],
    ...(route.auth === 'none' ? { security: [] } : { security: SECURITY[route.auth] }),
    ...parametersOf(route),
    ...(requestBody ? { requestBody } : {}),
    responses,
  }
}

const operationId = (route: RouteDoc) =>
  route.method +
  route.path
    .replace(/[:.]/g, '')
    .split(/[/-]/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')

/** The OpenAPI 3.1 document of every described route. */
export function openApiDocument(routes: readonly RouteDoc[] = ALL_ROUTE_DOCS) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const path = openApiPath(route.path)
    const item = paths[path] ?? {}
    paths[path] = item
    if (item[route.method]) throw new Error(`${route.method.toUpperCase()} ${route.path} is described twice`)
    item[route.method] = operation(route)
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'cosyvoice-edge',
      version: '0.1.0',
      description: 'Multi-user text-to-speech in front of CosyVoice3 GPU servers. Every error is `{"error":{"code","message","request_id"}}`; each response lists its codes.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name, description: tagDescription(name) })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An access token from POST /auth/login, POST /admin/tokens or a trusted identity provider.',
        },
        apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'cve_…', description: 'A personal API key (POST /v1/api-keys), only in the Authorization header.' },
        cookieSession: { type: 'apiKey', in: 'cookie', name: '__Host-access', description: 'A browser session from POST /auth/login with {"cookie": true}.' },
        csrfToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-CSRF-Token',
          description: 'Needed with the cookie session on every unsafe method: the csrf_token of the login response.',
        },
      },
    },
  }
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>

/** What each group of routes is for, in the order a reader meets them. */
const TAG_DESCRIPTIONS: Record<string, string> = {
  meta: 'Liveness and this description.',
  auth: 'Logging in, refreshing, logging out, who you are, and the keys edge tokens are signed with.',
  accounts: 'The account directory: your account, password and sessions, invites, and the admin API over users.',
  synthesis: 'Text to speech on the GPU origins, streamed as it is made and stored in your library.',
  audio: 'Your stored audio: list, download (Range, ETag), delete.',
  voices: 'Cloned voices from your own recordings, and the shared voices an admin publishes.',
  links: 'Short-lived signed download links that work without an account.',
  shares: 'Revocable share links with a page, an optional download limit and a report form.',
  usage: 'Your limits, what you have used of them, and your audit trail.',
  admin: "Operators: mint and revoke tokens, origins and their breakers, any user's audit trail.",
  moderation: 'Reports from share pages, takedowns and their evidence.',
  console: 'The web console served by the Worker.',
  'api keys': 'Personal API keys: long-lived, scoped, revocable credentials for programs.',
}

function tagDescription(name: string): string {
  const description = TAG_DESCRIPTIONS[name]
  if (!description) throw new Error(`the route tag "${name}" has no description (openapi-document.ts TAG_DESCRIPTIONS)`)
  return description
}
