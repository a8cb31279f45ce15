import type { Context } from 'hono'
import { badRequest } from './api-error'

/** Listings backed by R2 can return up to R2's page size; those read from SQLite, fewer. */
export const R2_PAGE_MAX = 1000
export const TABLE_PAGE_MAX = 200
const DEFAULT_PAGE = 50

/** `?limit=` (an integer from 1 to `max`, default 50) and the opaque `?cursor=` of a listing; 400 otherwise. */
export function listingQuery(c: Context, max: number): { limit: number; cursor: string | undefined } {
  const limit = Number(c.req.query('limit') ?? DEFAULT_PAGE)
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw badRequest(`limit must be an integer from 1 to ${max}`)
  return { limit, cursor: c.req.query('cursor') || undefined }
}

/** A cursor that is a row number of a SQLite listing (newest first: rows before it). */
export function rowCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined
  const before = Number(cursor)
  if (!Number.isInteger(before)) throw badRequest('invalid cursor', 'invalid_cursor')
  return before
}
