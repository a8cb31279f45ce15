import * as v from 'valibot'
import { TargetUserQuery } from '../auth/target-user'
import { bool, describeRoutes, int, LISTING_ERRORS, nullable, num, object, page, str, time } from '../http/route-doc'
import { listingQuerySchema, R2_PAGE_MAX } from '../http/listing-query'
import { SHARED_PAGE_MAX } from './shared-voices'

const voiceView = object({
  voice_id: str,
  name: nullable(str),
  prompt_text: nullable(str),
  format: nullable(str),
  sample_rate: nullable(num),
  channels: nullable(num),
  duration_seconds: nullable(num),
  bytes: int,
  created: str,
})

const served = {
  200: { description: 'The prompt file', media: { 'audio/wav': { type: 'string' }, 'audio/flac': { type: 'string' } } },
  206: { description: 'One byte range', media: { 'audio/wav': { type: 'string' }, 'audio/flac': { type: 'string' } } },
  304: { description: 'Not modified (If-None-Match)' },
}

/** `?sub=` (and `?iss=`) names the voice's owner; without it, the admin's own voice. */
const OwnerQuery = v.object({
  ...TargetUserQuery.entries,
  sub: v.optional(v.pipe(TargetUserQuery.entries.sub, v.description("the owner's sub (default: you)"))),
})

export const voiceDocs = describeRoutes(
  {
    method: 'post',
    path: '/v1/voices',
    tag: 'voices',
    summary: 'Clone a voice from a prompt recording',
    auth: 'user',
    scope: 'voices',
    body: {
      multipart: object({
        name: { type: 'string', maxLength: 100 },
        prompt_text: { type: 'string', maxLength: 1000, description: 'what the recording says' },
        prompt_wav: { type: 'string', contentMediaType: 'audio/wav', description: 'WAV or FLAC, 3 to 30 s' },
      }),
    },
    responses: { 201: { description: 'The voice', json: voiceView, headers: { Location: '/v1/voices/{id}' } } },
    errors: { 400: ['invalid_upload', 'invalid_audio'], 409: ['voice_limit'], 413: ['body_too_large', 'storage_quota'], 415: ['unsupported_media_type'] },
  },
  {
    method: 'get',
    path: '/v1/voices',
    tag: 'voices',
    summary: 'Your voices',
    auth: 'user',
    scope: 'voices',
    query: listingQuerySchema(R2_PAGE_MAX),
    responses: { 200: { description: 'A page of voices', json: page(voiceView) } },
    errors: LISTING_ERRORS,
  },
  {
    method: 'get',
    path: '/v1/voices/:id',
    tag: 'voices',
    summary: "A voice's metadata",
    auth: 'user',
    scope: 'voices',
    responses: { 200: { description: 'The voice; `shared` when published', json: { allOf: [voiceView, object({ shared: bool })] } } },
    errors: { 404: ['not_found'], 451: ['taken_down'] },
  },
  {
    method: 'get',
    path: '/v1/voices/:id/content',
    tag: 'voices',
    summary: "A voice's prompt recording",
    auth: 'user',
    scope: 'voices',
    responses: served,
    errors: { 404: ['not_found'], 416: ['range_not_satisfiable'], 451: ['taken_down'] },
  },
  {
    method: 'delete',
    path: '/v1/voices/:id',
    tag: 'voices',
    summary: 'Delete a voice (and withdraw it if published)',
    auth: 'user',
    scope: 'voices',
    freshAuth: true,
    responses: { 204: { description: 'Deleted' } },
    errors: { 404: ['not_found'], 451: ['taken_down'] },
  },
  {
    method: 'post',
    path: '/admin/voices/:id/publish',
    tag: 'voices',
    summary: 'Publish a voice for every user',
    auth: 'admin',
    scope: 'admin',
    query: OwnerQuery,
    responses: { 200: { description: 'Published', json: object({ voice_id: str, name: nullable(str), shared: bool, published: time }) } },
    errors: { 400: ['bad_request', 'unknown_issuer', 'issuer_required'], 404: ['not_found'], 451: ['taken_down'] },
  },
  {
    method: 'delete',
    path: '/admin/voices/:id/publish',
    tag: 'voices',
    summary: 'Withdraw a published voice',
    auth: 'admin',
    scope: 'admin',
    query: OwnerQuery,
    responses: { 204: { description: 'Withdrawn' } },
    errors: { 400: ['bad_request', 'unknown_issuer', 'issuer_required'], 404: ['not_found'], 451: ['taken_down'] },
  },
  {
    method: 'get',
    path: '/v1/shared-voices',
    tag: 'voices',
    summary: 'Published voices (id, name, date)',
    auth: 'user',
    scope: 'voices',
    query: listingQuerySchema(SHARED_PAGE_MAX),
    responses: {
      200: {
        description: "A page of the shared voices you can synthesize with now (a suspended owner's are left out, so a page may be shorter than `limit`: follow `cursor`)",
        json: page(object({ voice_id: str, name: nullable(str), published: str })),
      },
    },
    errors: { 400: ['bad_request', 'invalid_cursor'] },
  },
)
