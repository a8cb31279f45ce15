import { describeRoutes, object, str } from '../http/route-doc'
import { TtsRequestSchema } from './tts-request'

export const synthesisDocs = describeRoutes(
  {
    method: 'post',
    path: '/v1/tts',
    tag: 'synthesis',
    summary: 'Synthesize speech (streamed) and store it',
    description: 'The audio streams as it is made and is stored under `X-Audio-Id` once complete. Limits answer 429 with the code of the limit hit and `Retry-After`.',
    auth: 'user',
    scope: 'tts',
    body: { json: TtsRequestSchema },
    responses: {
      200: {
        description: 'The audio, streamed',
        media: { 'audio/wav': { type: 'string', contentMediaType: 'audio/wav' }, 'audio/L16;rate=24000;channels=1': { type: 'string' } },
        headers: {
          'X-Audio-Id': 'the stored audio id',
          'Content-Location': '/v1/audio/{id}',
          'X-Sample-Rate': 'Hz',
          'X-Channels': '1',
          'Server-Timing': 'ms per stage before the first byte: auth, admission, pool (queue), origin',
        },
      },
    },
    errors: {
      400: ['invalid_request', 'unknown_speaker'],
      404: ['not_found'],
      410: ['not_available'],
      413: ['text_too_long', 'storage_quota'],
      429: ['rate_limited', 'daily_quota', 'concurrency', 'storage_quota'],
      502: ['origin_failed', 'origin_unavailable', 'origin_error'],
      503: ['origins_unavailable', 'origins_busy', 'pool_unavailable'],
      451: ['taken_down'],
      504: ['origin_timeout'],
    },
  },
  {
    method: 'get',
    path: '/v1/speakers',
    tag: 'synthesis',
    summary: 'The preset speakers `sft` can use, and the modes available',
    auth: 'user',
    responses: { 200: { description: 'The catalog', json: object({ speakers: { type: 'array', items: str }, modes: { type: 'array', items: str } }) } },
  },
)
