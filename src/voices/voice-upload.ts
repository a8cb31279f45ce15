import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { ApiError, badRequest } from '../http/api-error'

/**
 * The largest `POST /v1/voices` body. The biggest prompt the rules allow (30 s of 48 kHz stereo
 * 32-bit) is about 11.5 MB; 16 MiB leaves room for multipart framing and other WAV chunks.
 */
const MAX_UPLOAD_BYTES = 16 * 1024 * 1024
const MAX_NAME_CHARS = 100
/**
 * The transcript of at most 30 s of speech is a few hundred characters; 1000 leaves room for fast
 * speakers. It is kept in the owner's Durable Object (voice-transcripts.ts), where any length fits,
 * and sent to the origin as a form field, which takes it whole.
 */
const MAX_PROMPT_TEXT_CHARS = 1000

const FIELDS = ['name', 'prompt_text', 'prompt_wav'] as const

export interface VoiceUpload {
  name: string
  promptText: string
  /** The prompt file exactly as uploaded; not yet checked (see voices/prompt-audio.ts). */
  audio: Uint8Array
}

/**
 * Bounds a voice upload before the route reads it (hono's body limit): a declared Content-Length
 * over the limit is refused before reading; a body without one (chunked) is counted as it arrives
 * and refused once past the limit, never buffered beyond it.
 */
export const voiceUploadLimit = (): MiddlewareHandler =>
  bodyLimit({
    maxSize: MAX_UPLOAD_BYTES,
    onError: () => {
      throw new ApiError(413, 'body_too_large', `the upload is over ${MAX_UPLOAD_BYTES} bytes`)
    },
  })

/**
 * Reads a voice upload: multipart/form-data with exactly the fields `name`, `prompt_text` and the
 * file `prompt_wav`. Its size is bounded by `voiceUploadLimit()` on the route.
 */
export async function readVoiceUpload(request: Request): Promise<VoiceUpload> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', 'send multipart/form-data with the fields name, prompt_text and prompt_wav')
  }
  if (!request.body) throw badRequest('the body is empty: send name, prompt_text and prompt_wav', 'invalid_upload')
  let form: FormData
  try {
    form = await request.formData()
  } catch (e) {
    throw new ApiError(400, 'invalid_upload', 'the body is not valid multipart/form-data', { cause: e })
  }
  return checkFields(form)
}

/**
 * A form entry as workerd parses it at our compatibility date: file parts are `File`s
 * (`formdata_parser_supports_files`). The default workers-types entry still types the older,
 * string-only parser, hence the one widening cast below.
 */
type FormEntry = [name: string, value: File | string]

async function checkFields(form: FormData): Promise<VoiceUpload> {
  const fields = new Map<string, File | string>()
  for (const [key, value] of form.entries() as IterableIterator<FormEntry>) {
    if (!(FIELDS as readonly string[]).includes(key)) throw badRequest(`unknown field "${key}": send only ${FIELDS.join(', ')}`, 'invalid_upload')
    if (fields.has(key)) throw badRequest(`field "${key}" is sent more than once`, 'invalid_upload')
    fields.set(key, value)
  }
  for (const field of FIELDS) if (!fields.has(field)) throw badRequest(`missing field "${field}"`, 'invalid_upload')

  const name = textField('name', fields.get('name'), MAX_NAME_CHARS, SINGLE_LINE)
  const promptText = textField('prompt_text', fields.get('prompt_text'), MAX_PROMPT_TEXT_CHARS, MULTI_LINE)
  const file = fields.get('prompt_wav')
  if (typeof file !== 'object') throw badRequest('"prompt_wav" must be a file upload (a WAV or FLAC file)', 'invalid_upload')
  return { name, promptText, audio: new Uint8Array(await file.arrayBuffer()) }
}

/** Control characters refused in a name, and in a transcript (which may have line breaks and tabs). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const SINGLE_LINE = /[\u0000-\u001f\u007f]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const MULTI_LINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

/** A text field: trimmed, not empty, bounded in characters (code points), no stray control characters. */
function textField(field: string, value: File | string | undefined, maxChars: number, refused: RegExp): string {
  if (typeof value !== 'string') throw badRequest(`"${field}" must be text, not a file`, 'invalid_upload')
  const text = value.trim()
  if (!text) throw badRequest(`"${field}" must not be empty`, 'invalid_upload')
  if ([...text].length > maxChars) throw badRequest(`"${field}" is over ${maxChars} characters`, 'invalid_upload')
  if (refused.test(text)) throw badRequest(`"${field}" contains control characters`, 'invalid_upload')
  return text
}
