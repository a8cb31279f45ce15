import { ApiError } from './api-error'
import { etagMatches, parseRange } from './range'

/**
 * What a caller already knows of an object that is never rewritten (a share's ledger row, the
 * route's own `head`): trusted as R2's answer would be, for a 304, a 416 and the range alike.
 */
export interface KnownObject {
  size: number
  httpEtag: string
}

export interface ServeOptions {
  /** Download file name; made safe here. */
  filename: string
  /** Cache-Control for the response (a link's must not outlive the link). */
  cacheControl: string
  /** `inline` to play in a browser, `attachment` to save. Default attachment. */
  disposition?: 'inline' | 'attachment'
  /** With it, a conditional or ranged request needs no `head`: a 304 no R2 call at all, a range one `get`. */
  known?: KnownObject
}

/**
 * Serves an R2 object the way HTTP downloads should work: ETag and If-None-Match (304), single
 * byte ranges (206, 416 for one that cannot be satisfied), Content-Length, a safe
 * Content-Disposition, and headers that keep the audio from being sniffed or leaking a Referer.
 * Returns null when the object does not exist.
 */
export async function serveObject(bucket: R2Bucket, key: string, request: Request, options: ServeOptions): Promise<Response | null> {
  const rangeHeader = request.headers.get('range')
  const ifNoneMatch = request.headers.get('if-none-match')
  // A HEAD is answered from the object's description: no body is fetched for it.
  const withBody = request.method !== 'HEAD'
  const headers = new Headers({
    'Accept-Ranges': 'bytes',
    'Cache-Control': options.cacheControl,
    'Content-Disposition': contentDisposition(options.disposition ?? 'attachment', options.filename),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  })
  if (!rangeHeader && !ifNoneMatch) {
    const object = withBody ? await bucket.get(key) : await bucket.head(key)
    if (!object) return null
    describe(object, headers)
    headers.set('Content-Length', String(object.size))
    return new Response(withBody ? (object as R2ObjectBody).body : null, { status: 200, headers })
  }
  // What the caller knows spares the `head`, except for a HEAD, whose answer is that description.
  let known = withBody ? options.known : undefined
  if (!known) {
    const head = await bucket.head(key)
    if (!head) return null
    describe(head, headers)
    known = head
  }
  if (ifNoneMatch && etagMatches(ifNoneMatch, known.httpEtag)) {
    headers.set('ETag', known.httpEtag)
    return new Response(null, { status: 304, headers })
  }
  const range = rangeHeader ? parseRange(rangeHeader, known.size) : undefined
  if (range === 'unsatisfiable') {
    // A JSON error: only the range headers carry over, not the download's type and disposition.
    throw new ApiError(416, 'range_not_satisfiable', `the range is outside the ${known.size} bytes of this object`, {
      headers: { 'Content-Range': `bytes */${known.size}`, 'Accept-Ranges': 'bytes' },
    })
  }
  let body: ReadableStream | null = null
  if (withBody) {
    const object = await bucket.get(key, range ? { range: { offset: range.start, length: range.end - range.start + 1 } } : {})
    if (!object) return null
    describe(object, headers)
    body = object.body
  }
  if (!range) {
    headers.set('Content-Length', String(known.size))
    return new Response(body, { status: 200, headers })
  }
  headers.set('Content-Range', `bytes ${range.start}-${range.end}/${known.size}`)
  headers.set('Content-Length', String(range.end - range.start + 1))
  return new Response(body, { status: 206, headers })
}

function describe(object: R2Object, headers: Headers) {
  headers.set('Content-Type', object.httpMetadata?.contentType ?? 'application/octet-stream')
  headers.set('ETag', object.httpEtag)
  headers.set('Last-Modified', object.uploaded.toUTCString())
}

/** RFC 6266: an ASCII fallback plus the UTF-8 name, with nothing that could break the header. */
function contentDisposition(type: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'download'
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename.slice(0, 100))}`
}
