import type { Context } from 'hono'
import { ApiError } from './api-error'

/** Reads a JSON body of at most `maxBytes`: 415 if it is not JSON, 413 if too large, 400 if malformed. */
export async function readJson(c: Context, maxBytes = 64 * 1024): Promise<unknown> {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) throw new ApiError(415, 'unsupported_media_type', 'send a JSON body (Content-Type: application/json)')
  const declared = Number(c.req.header('content-length') ?? 0)
  if (declared > maxBytes) throw new ApiError(413, 'body_too_large', `the body is over ${maxBytes} bytes`)
  const text = await c.req.text()
  if (new TextEncoder().encode(text).length > maxBytes) throw new ApiError(413, 'body_too_large', `the body is over ${maxBytes} bytes`)
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid JSON')
  }
}
