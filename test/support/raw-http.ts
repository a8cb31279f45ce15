import { connect } from 'cloudflare:sockets'
import { concatBytes } from './bytes'

export interface RawResponse {
  status: number
  headers: Record<string, string>
  /** The body with the chunk framing removed (what arrived, complete or not). */
  body: Uint8Array
  /** Whether the chunked body ended with its terminating chunk: the client's only sign it is whole. */
  complete: boolean
}

/**
 * One HTTP/1.1 request over a raw TCP socket, reading until the response is framed complete or the
 * server closes: unlike fetch, this sees the chunk framing, so a body cut short is not mistaken for
 * a whole one. Gives up after `timeoutMs` of silence (a guard, not a measurement).
 */
export async function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl)
  const body = new TextEncoder().encode(o.body ?? '')
  const head = [
    `${method} ${path} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    'connection: close',
    `content-length: ${body.length}`,
    ...Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n')
  const socket = connect({ hostname, port: Number(port) })
  const writer = socket.writable.getWriter()
  await writer.write(concatBytes([new TextEncoder().encode(`${head}\r\n\r\n`), body]))
  writer.releaseLock()

  const parts: Uint8Array[] = []
  const reader = socket.readable.getReader()
  for (;;) {
    let timer = 0
    const silence = new Promise<'silence'>((resolve) => (timer = setTimeout(() => resolve('silence'), o.timeoutMs ?? 15_000)))
    const next = await Promise.race([reader.read().catch(() => ({ done: true, value: undefined }) as const), silence])
    clearTimeout(timer)
    if (next === 'silence' || next.done) break
    parts.push(next.value)
    // A proxy may keep the connection open despite `Connection: close`: stop at the framed end.
    if (parseResponse(concatBytes(parts)).complete) break
  }
  await socket.close().catch(() => {})
  return parseResponse(concatBytes(parts))
}

function parseResponse(bytes: Uint8Array): RawResponse {
  const text = new TextDecoder('latin1')
  const headerEnd = indexOf(bytes, '\r\n\r\n', 0)
  if (headerEnd < 0) return { status: 0, headers: {}, body: new Uint8Array(), complete: false }
  const [statusLine, ...lines] = text.decode(bytes.subarray(0, headerEnd)).split('\r\n')
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
  const rest = bytes.subarray(headerEnd + 4)
  if (headers['transfer-encoding'] !== 'chunked') {
    const length = Number(headers['content-length'] ?? NaN)
    return { status: Number(statusLine!.split(' ')[1]), headers, body: rest, complete: rest.length === length }
  }
  const chunks: Uint8Array[] = []
  let offset = 0
  let complete = false
  for (;;) {
    const lineEnd = indexOf(rest, '\r\n', offset)
    if (lineEnd < 0) break
    const size = parseInt(text.decode(rest.subarray(offset, lineEnd)).split(';')[0]!, 16)
    if (size === 0) {
      complete = indexOf(rest, '\r\n', lineEnd + 2) === lineEnd + 2
      break
    }
    const start = lineEnd + 2
    chunks.push(rest.subarray(start, Math.min(start + size, rest.length)))
    if (start + size + 2 > rest.length) break
    offset = start + size + 2
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: concatBytes(chunks), complete }
}

function indexOf(bytes: Uint8Array, needle: string, from: number): number {
  const n = [...needle].map((c) => c.charCodeAt(0))
  outer: for (let i = from; i + n.length <= bytes.length; i++) {
    for (let j = 0; j < n.length; j++) if (bytes[i + j] !== n[j]) continue outer
    return i
  }
  return -1
}
