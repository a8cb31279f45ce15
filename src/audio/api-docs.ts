import { describeRoutes, int, LISTING_ERRORS, nullable, num, object, page, SERVED_OBJECT, str } from '../http/route-doc'
import { listingQuerySchema, R2_PAGE_MAX } from '../http/listing-query'

export const audioView = object({
  audio_id: str,
  created: str,
  mode: nullable(str),
  speaker: nullable(str),
  voice_id: nullable(str),
  characters: nullable(int),
  text_sha256: nullable(str),
  sample_rate: int,
  channels: int,
  duration_seconds: num,
  bytes: int,
})

/** serveObject's answers (http/serve-object.ts): whole, a byte range, not modified. */
export const servedObject = (description: string) => ({
  200: { description, ...SERVED_OBJECT },
  206: { description: 'One byte range (Range: bytes=…)', ...SERVED_OBJECT },
  304: { description: 'Not modified (If-None-Match)' },
})

export const audioDocs = describeRoutes(
  {
    method: 'get',
    path: '/v1/audio',
    tag: 'audio',
    summary: 'List your stored audio, newest first',
    auth: 'user',
    scope: 'audio',
    query: listingQuerySchema(R2_PAGE_MAX),
    responses: { 200: { description: 'A page of audio', json: page(audioView) } },
    errors: LISTING_ERRORS,
  },
  {
    method: 'get',
    path: '/v1/audio/:id',
    tag: 'audio',
    summary: "One audio's metadata",
    auth: 'user',
    scope: 'audio',
    responses: { 200: { description: 'The audio', json: audioView } },
    errors: { 404: ['not_found'], 451: ['taken_down'] },
  },
  {
    method: 'get',
    path: '/v1/audio/:id/content',
    tag: 'audio',
    summary: 'Download the audio (WAV; Range and ETag)',
    auth: 'user',
    scope: 'audio',
    responses: servedObject('The WAV file'),
    errors: { 404: ['not_found'], 416: ['range_not_satisfiable'], 451: ['taken_down'] },
  },
  {
    method: 'delete',
    path: '/v1/audio/:id',
    tag: 'audio',
    summary: 'Delete the audio (its links and shares stop working)',
    auth: 'user',
    scope: 'audio',
    responses: { 204: { description: 'Deleted' } },
    errors: { 404: ['not_found'], 451: ['taken_down'] },
  },
)
