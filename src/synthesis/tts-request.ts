import * as v from 'valibot'
import { badRequest } from '../http/api-error'
import { SYNTHESIS_MODES } from '../origin/cosyvoice-form'
import { parseBody } from '../http/request-body'

const MAX_INSTRUCT_CHARS = 500

export const TtsRequestSchema = v.strictObject({
  // Text with no letter or digit makes no audio: the origin would answer an empty 200 (a 502 here).
  text: v.pipe(
    v.string('text must be a string'),
    v.trim(),
    v.nonEmpty('text must not be empty'),
    v.regex(/[\p{L}\p{N}]/u, 'text must contain something to speak (a letter or a digit)'),
  ),
  mode: v.picklist(SYNTHESIS_MODES, `mode must be one of ${SYNTHESIS_MODES.join(', ')}`),
  voice_id: v.optional(v.pipe(v.string('voice_id must be a string'), v.nonEmpty('voice_id must not be empty'))),
  speaker: v.optional(v.pipe(v.string('speaker must be a string'), v.nonEmpty('speaker must not be empty'), v.maxLength(64, 'speaker is too long'))),
  instruct: v.optional(
    v.pipe(
      v.string('instruct must be a string'),
      v.trim(),
      v.nonEmpty('instruct must not be empty'),
      v.maxLength(MAX_INSTRUCT_CHARS, `instruct is over ${MAX_INSTRUCT_CHARS} characters`),
    ),
  ),
  format: v.optional(v.picklist(['wav', 'pcm'], 'format must be "wav" or "pcm"'), 'wav'),
})

export type TtsRequest = v.InferOutput<typeof TtsRequestSchema>

/** Validates a `POST /v1/tts` body; every refusal is a 400 that says what to fix. */
export function parseTtsRequest(body: unknown): TtsRequest {
  const req = parseBody(TtsRequestSchema, body)
  if (req.mode === 'sft') {
    if (!req.speaker) throw badRequest('mode "sft" needs a "speaker"', 'invalid_request')
    if (req.voice_id) throw badRequest('mode "sft" uses a preset "speaker", not a "voice_id"', 'invalid_request')
  } else {
    if (!req.voice_id) throw badRequest(`mode "${req.mode}" needs a "voice_id"`, 'invalid_request')
    if (req.speaker) throw badRequest(`"speaker" is only for mode "sft"`, 'invalid_request')
  }
  if (req.mode === 'instruct2' && !req.instruct) throw badRequest('mode "instruct2" needs an "instruct"', 'invalid_request')
  if (req.mode !== 'instruct2' && req.instruct) throw badRequest('"instruct" is only for mode "instruct2"', 'invalid_request')
  return req
}

/** Characters as users count them (code points, not UTF-16 units). */
export function characterCount(text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}
