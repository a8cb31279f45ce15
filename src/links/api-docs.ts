import { describeRoutes, int, nullable, object, page, str, time, TABLE_LISTING_ERRORS } from '../http/route-doc'
import { listingQuerySchema, TABLE_PAGE_MAX } from '../http/listing-query'
import { LinkBody, ShareBody } from './link-bodies'

const shareView = object({
  share_id: str,
  ref: str,
  url: str,
  audio_id: str,
  status: { type: 'string', enum: ['active', 'revoked', 'expired', 'exhausted', 'taken_down'] },
  created_at: time,
  expires_at: time,
  max_downloads: nullable(int),
  downloads: int,
  revoked_at: nullable(time),
  note: nullable(str),
})

const served = {
  200: { description: 'The WAV file', media: { 'audio/wav': { type: 'string' } } },
  206: { description: 'One byte range', media: { 'audio/wav': { type: 'string' } } },
  304: { description: 'Not modified (If-None-Match)' },
}

export const linkDocs = describeRoutes(
  {
    method: 'post',
    path: '/v1/audio/:id/link',
    tag: 'links',
    summary: 'A signed download link (no token needed to use it)',
    auth: 'user',
    scope: 'audio',
    body: { json: LinkBody, optional: true },
    responses: { 200: { description: 'The link', json: object({ url: str, expires_at: time }) } },
    errors: { 400: ['ttl_too_long'], 404: ['not_found'], 451: ['taken_down'] },
  },
  {
    method: 'get',
    path: '/d/:token',
    tag: 'links',
    summary: 'Download through a signed link',
    auth: 'none',
    anonymousLimit: true,
    responses: served,
    errors: { 403: ['invalid_link', 'link_expired'], 404: ['not_found'], 410: ['not_available'], 416: ['range_not_satisfiable'], 451: ['taken_down'] },
  },
  {
    method: 'post',
    path: '/v1/audio/:id/shares',
    tag: 'shares',
    summary: 'Share the audio: a revocable link with an expiry and a download cap',
    auth: 'user',
    scope: 'share',
    body: { json: ShareBody, optional: true },
    responses: { 201: { description: 'The share', json: shareView } },
    errors: { 400: ['ttl_too_long'], 404: ['not_found'], 409: ['too_many_shares'], 451: ['taken_down'] },
  },
  {
    method: 'get',
    path: '/v1/shares',
    tag: 'shares',
    summary: 'Your shares, newest first',
    auth: 'user',
    scope: 'share',
    query: listingQuerySchema(TABLE_PAGE_MAX),
    responses: { 200: { description: 'A page of shares', json: page(shareView) } },
    errors: TABLE_LISTING_ERRORS,
  },
  {
    method: 'delete',
    path: '/v1/shares/:id',
    tag: 'shares',
    summary: 'Revoke a share',
    auth: 'user',
    scope: 'share',
    responses: { 204: { description: 'Revoked' } },
    errors: { 404: ['not_found'] },
  },
  {
    method: 'get',
    path: '/s/:id',
    tag: 'shares',
    summary: 'Open a share: a player page for a browser (Accept: text/html), else the audio',
    auth: 'none',
    anonymousLimit: true,
    responses: { ...served, 200: { description: 'The page or the WAV file', media: { 'text/html': { type: 'string' }, 'audio/wav': { type: 'string' } } } },
    errors: { 404: ['not_found'], 410: ['share_revoked', 'share_expired', 'share_exhausted', 'not_available'], 416: ['range_not_satisfiable'], 451: ['taken_down'] },
  },
  {
    method: 'get',
    path: '/s/:id/audio',
    tag: 'shares',
    summary: "A share's audio (inline; ?download=1 as an attachment)",
    auth: 'none',
    anonymousLimit: true,
    responses: served,
    errors: { 404: ['not_found'], 410: ['share_revoked', 'share_expired', 'share_exhausted', 'not_available'], 416: ['range_not_satisfiable'], 451: ['taken_down'] },
  },
)
