import * as v from 'valibot'
import { TargetUserQuery } from '../auth/target-user'
import { describeRoutes, int, nullable, object, page, str, time, TABLE_LISTING_ERRORS } from '../http/route-doc'
import { listingQuerySchema, TABLE_PAGE_MAX } from '../http/listing-query'

const entry = object({ at: time, action: str, resource: nullable(str), status: int, request_id: nullable(str), actor: {}, detail: {} })

export const auditDocs = describeRoutes(
  {
    method: 'get',
    path: '/v1/audit',
    tag: 'usage',
    summary: 'Your audit trail, newest first',
    auth: 'user',
    scope: 'audio',
    query: listingQuerySchema(TABLE_PAGE_MAX),
    responses: { 200: { description: 'A page of entries', json: page(entry) } },
    errors: TABLE_LISTING_ERRORS,
  },
  {
    method: 'get',
    path: '/admin/audit',
    tag: 'admin',
    summary: "A user's audit trail",
    auth: 'admin',
    scope: 'admin',
    query: v.object({
      ...listingQuerySchema(TABLE_PAGE_MAX).entries,
      ...TargetUserQuery.entries,
    }),
    responses: { 200: { description: 'A page of entries', json: page(entry) } },
    errors: { 400: ['bad_request', 'invalid_cursor', 'unknown_issuer', 'issuer_required'] },
  },
)
