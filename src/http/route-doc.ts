import type * as v from 'valibot'

/** A JSON Schema object, as OpenAPI 3.1 embeds it. */
export type JsonSchema = Record<string, unknown>

/** How a caller authenticates: `user` = a bearer JWT, a `cve_…` API key or the cookie session. */
export type RouteAuth = 'none' | 'user' | 'admin'

export interface SuccessDoc {
  description: string
  /** A JSON body: a valibot schema (converted) or a JSON Schema written out. */
  json?: v.GenericSchema | JsonSchema
  /** A non-JSON body, by media type (audio, HTML). */
  media?: Record<string, JsonSchema>
  headers?: Record<string, string>
}

/**
 * One route as the OpenAPI document describes it, written beside the capability's routes: the
 * request schemas are the very valibot schemas the route validates with, and `errors` lists every
 * status and error code it can answer besides those added for its auth, body and limits.
 */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  /** Hono's form (`/v1/audio/:id`); the document writes `{id}`. */
  path: string
  summary: string
  description?: string
  tag: string
  auth: RouteAuth
  /** The token scope the route needs (shown in the description; OpenAPI bearer has no scopes). */
  scope?: string
  /** requireFreshAuth(): a login within the last minutes, else 401 reauth_required. */
  freshAuth?: boolean
  /** anonymousRateLimit(): 429 rate_limited per client address. */
  anonymousLimit?: boolean
  query?: v.GenericSchema
  body?: { json: v.GenericSchema; optional?: boolean } | { multipart: JsonSchema }
  responses: Record<number, SuccessDoc>
  errors?: Record<number, readonly string[]>
}

export const describeRoutes = (...routes: RouteDoc[]): readonly RouteDoc[] => routes

/** A `?limit=&cursor=` listing's errors (http/listing-query.ts). */
export const LISTING_ERRORS = { 400: ['bad_request'] } as const
/** Listings read from SQLite also parse the cursor as a row number. */
export const TABLE_LISTING_ERRORS = { 400: ['bad_request', 'invalid_cursor'] } as const
/** serveObject: conditional and Range requests. */
export const SERVED_OBJECT = {
  media: { 'audio/wav': { type: 'string', contentMediaType: 'audio/wav' } },
  headers: { ETag: 'the object version', 'Accept-Ranges': 'bytes', 'Content-Disposition': 'the file name' },
} as const

/** Response shapes written out: every listed property is required; later fields may be added. */
export const object = (properties: Record<string, JsonSchema>, optional: readonly string[] = []): JsonSchema => ({
  type: 'object',
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  properties,
})
export const str: JsonSchema = { type: 'string' }
export const int: JsonSchema = { type: 'integer' }
export const num: JsonSchema = { type: 'number' }
export const bool: JsonSchema = { type: 'boolean' }
export const time: JsonSchema = { type: 'string', format: 'date-time' }
export const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] })
/** A page of a listing: `items` and the `cursor` of the next page (null on the last). */
export const page = (item: JsonSchema): JsonSchema => object({ items: { type: 'array', items: item }, cursor: nullable(str) })
