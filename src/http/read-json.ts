import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { ApiError } from './api-error'

/**
 * Reads a JSON body of at most `maxBytes`: 415 if it is not JSON, 413 if too large, 400 if
 * malformed.
 */
export async function readJson(c: Context, maxBytes = 64 * 1024): Promise<unknown> {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) throw new ApiError(415, 'unsupported_media_type', 'send a JSON body (Content-Type: application/json)')
  const text = new TextDecoder().decode(await readBytes(c, maxBytes))
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid JSON')
  }
}

/**
 * The body as bytes, at most `maxBytes`, bounded by hono's body limit: a declared Content-Length
 * over the limit is refused before reading, and a body without one (chunked) is counted as it
 * arrives, so it cannot make the Worker buffer more than the limit. Past it: 413 `body_too_large`
 * ("`what` is over N bytes").
 */
export async function readBytes(c: Context, maxBytes: number, what = 'the body'): Promise<Uint8Array> {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, 'body_too_large', `${what} is over ${maxBytes} bytes`)
    },
  })
  let bytes = new Uint8Array()
  await limit(c, async () => {
    bytes = new Uint8Array(await c.req.arrayBuffer())
  })
  return bytes
}
