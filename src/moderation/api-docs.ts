import * as v from 'valibot'
import { describeRoutes, int, nullable, object, page, str, time } from '../http/route-doc'
import { listingQuerySchema, TABLE_PAGE_MAX } from '../http/listing-query'
import { ResolveBody, TakedownBody } from './moderation-bodies'

const takedown = object({ kind: str, id: str, owner: object({ sub: str, iss: str }), reason: str, note: nullable(str), taken_at: time, taken_by: str, held_bytes: nullable(int), report_id: nullable(str), detail: {} })
const report = object({ report_id: str, created_at: time, status: str, reason: str, details: nullable(str), reporter: {}, share: { type: 'object' }, owner: {}, resolution: {} })
const ADMIN_TARGET = { 400: ['bad_request', 'invalid_request', 'unknown_issuer', 'issuer_required'], 404: ['not_found'] }
const OwnerQuery = v.object({
  sub: v.pipe(v.string(), v.description("the owner's sub")),
  iss: v.optional(v.pipe(v.string(), v.description("the owner's issuer (default: yours)"))),
})

export const moderationDocs = describeRoutes(
  {
    method: 'post', path: '/admin/takedowns', tag: 'moderation', summary: 'Take down a clip, voice or share (held, 451 everywhere, off the quota)', auth: 'admin', scope: 'admin',
    body: { json: TakedownBody },
    responses: { 201: { description: 'The takedown', json: takedown } },
    errors: { ...ADMIN_TARGET, 409: ['already_taken_down', 'being_deleted'] },
  },
  {
    method: 'get', path: '/admin/takedowns', tag: 'moderation', summary: "A user's takedowns", auth: 'admin', scope: 'admin',
    query: v.object({ ...listingQuerySchema(TABLE_PAGE_MAX).entries, ...OwnerQuery.entries }),
    responses: { 200: { description: 'A page of takedowns', json: page(takedown) } },
    errors: { ...ADMIN_TARGET, 400: [...ADMIN_TARGET[400], 'invalid_cursor'] },
  },
  {
    method: 'get', path: '/admin/takedowns/:kind/:id', tag: 'moderation', summary: 'One takedown', auth: 'admin', scope: 'admin',
    query: OwnerQuery,
    responses: { 200: { description: 'The takedown', json: takedown } },
    errors: ADMIN_TARGET,
  },
  {
    method: 'get', path: '/admin/takedowns/:kind/:id/content', tag: 'moderation', summary: 'The held audio, as evidence', auth: 'admin', scope: 'admin',
    query: OwnerQuery,
    responses: {
      200: { description: 'The held file', media: { 'audio/wav': { type: 'string' }, 'audio/flac': { type: 'string' } } },
      206: { description: 'One byte range', media: { 'audio/wav': { type: 'string' }, 'audio/flac': { type: 'string' } } },
      304: { description: 'Not modified' },
    },
    errors: { ...ADMIN_TARGET, 416: ['range_not_satisfiable'] },
  },
  {
    method: 'delete', path: '/admin/takedowns/:kind/:id', tag: 'moderation', summary: 'Release a takedown (the object is back as it was)', auth: 'admin', scope: 'admin',
    query: OwnerQuery,
    responses: { 200: { description: 'Released', json: object({ released: takedown }) } },
    errors: ADMIN_TARGET,
  },
  {
    method: 'post', path: '/admin/takedowns/:kind/:id/purge', tag: 'moderation', summary: 'Delete a taken-down object for good', auth: 'admin', scope: 'admin',
    query: OwnerQuery,
    responses: { 200: { description: 'Purged', json: object({ purged: takedown }) } },
    errors: ADMIN_TARGET,
  },
  {
    method: 'post', path: '/s/:id/report', tag: 'moderation', summary: 'Report a share (the form on every /s/ page, or JSON)', auth: 'none', anonymousLimit: true,
    responses: {
      202: { description: 'Received (for a browser, a page saying so)', json: object({ received: { const: true } }), media: { 'text/html': { type: 'string' } } },
    },
    errors: { 400: ['invalid_request', 'invalid_json'], 404: ['not_found'], 413: ['body_too_large'], 415: ['unsupported_media_type'], 503: ['reports_unavailable'] },
  },
  {
    method: 'get', path: '/admin/reports', tag: 'moderation', summary: 'The report queue (within your reach)', auth: 'admin', scope: 'admin',
    query: v.object({ ...listingQuerySchema(TABLE_PAGE_MAX).entries, status: v.optional(v.picklist(['open', 'resolved', 'all'])) }),
    responses: { 200: { description: 'A page of reports', json: page(report) } },
    errors: { 400: ['bad_request', 'invalid_cursor', 'invalid_request'] },
  },
  {
    method: 'get', path: '/admin/reports/:id', tag: 'moderation', summary: 'One report', auth: 'admin', scope: 'admin',
    responses: { 200: { description: 'The report', json: report } },
    errors: { 404: ['not_found'] },
  },
  {
    method: 'post', path: '/admin/reports/:id/resolve', tag: 'moderation', summary: 'Resolve a report', auth: 'admin', scope: 'admin',
    body: { json: ResolveBody, optional: true },
    responses: { 200: { description: 'The resolved report', json: report } },
    errors: { 404: ['not_found'], 409: ['already_resolved'] },
  },
)
