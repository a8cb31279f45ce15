import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { ApiError } from './api-error'

/**
 * Reads a JSON body of at most `maxBytes`: 415 if it is not JSON, 413 if too large, 400 if
 * malformed. hono's body limit bounds the read: a declared Content-Length over the limit is
 * refused before reading, and a body without one is counted as it arrives, so a chunked body
 * cannot make the Worker buffer more than the limit.
 */
export async function readJson(c: Context, maxBytes = 64 * 1024): Promise<unknown> {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) throw new ApiError(415, 'unsupported_media_type', 'send a JSON body (Content-Type: application/json)')
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, 'body_too_large', `the body is over ${maxBytes} bytes`)
    },
  })
  let text = ''
  await limit(c, async () => {
    text = await c.req.text()
  })
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid JSON')
  }
}
