import type { Context } from 'hono'
import { ApiError } from './api-error'

/**
 * Reads a JSON body of at most `maxBytes`: 415 if it is not JSON, 413 if too large, 400 if
 * malformed. The body is counted as it arrives, so a chunked body without a Content-Length cannot
 * make the Worker buffer more than the limit.
 */
export async function readJson(c: Context, maxBytes = 64 * 1024): Promise<unknown> {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) throw new ApiError(415, 'unsupported_media_type', 'send a JSON body (Content-Type: application/json)')
  const tooLarge = () => new ApiError(413, 'body_too_large', `the body is over ${maxBytes} bytes`)
  if (Number(c.req.header('content-length') ?? 0) > maxBytes) throw tooLarge()
  const bytes = await readAtMost(c.req.raw.body, maxBytes, tooLarge)
  try {
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid JSON')
  }
}

/** Reads a body, cancelling it and throwing `tooLarge()` once it passes `maxBytes`. */
export async function readAtMost(body: ReadableStream<Uint8Array> | null, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  if (!body) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  return bytes
}
