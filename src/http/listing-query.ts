import * as v from 'valibot'
import type { Context } from 'hono'
import { badRequest } from './api-error'

/** Listings backed by R2 can return up to R2's page size; those read from SQLite, fewer. */
export const R2_PAGE_MAX = 1000
export const TABLE_PAGE_MAX = 200
const DEFAULT_PAGE = 50

/** The query of a listing whose pages hold at most `max` items (the schema the OpenAPI document shows). */
export const listingQuerySchema = (max: number) =>
  v.object({
    limit: v.optional(
      v.pipe(v.string(), v.regex(/^\d+$/), v.description(`items per page, 1 to ${max} (default ${DEFAULT_PAGE})`), v.transform(Number), v.minValue(1), v.maxValue(max)),
    ),
    cursor: v.optional(v.pipe(v.string(), v.description('the `cursor` of the previous page'))),
  })

/** `?limit=` (an integer from 1 to `max`, default 50) and the opaque `?cursor=` of a listing; 400 otherwise. */
export function listingQuery(c: Context, max: number): { limit: number; cursor: string | undefined } {
  const query = v.safeParse(listingQuerySchema(max), { limit: c.req.query('limit'), cursor: c.req.query('cursor') })
  if (!query.success) throw badRequest(`limit must be an integer from 1 to ${max}`)
  return { limit: query.output.limit ?? DEFAULT_PAGE, cursor: query.output.cursor || undefined }
}

/** A cursor that is a row number of a SQLite listing (newest first: rows before it). */
export function rowCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined
  const before = Number(cursor)
  if (!Number.isInteger(before)) throw badRequest('invalid cursor', 'invalid_cursor')
  return before
}
