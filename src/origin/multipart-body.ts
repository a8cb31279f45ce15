export interface StreamedFile {
  name: string
  filename: string
  contentType: string
  size: number
  body: ReadableStream<Uint8Array>
}

/**
 * A multipart/form-data body whose file part is piped from a stream (an R2 object) rather than
 * buffered: the prompt audio passes through the Worker once. The total length is known up front,
 * so the origin gets a Content-Length instead of a chunked upload.
 */
export function multipartBody(fields: [string, string][], file?: StreamedFile): { body: ReadableStream<Uint8Array>; contentType: string; length: number } {
  const boundary = `----cosyvoice-edge-${crypto.randomUUID()}`
  const enc = new TextEncoder()
  const head = enc.encode(
    fields.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"\r\n\r\n${value}\r\n`).join('') +
      (file
        ? `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(file.name)}"; filename="${escapeName(file.filename)}"\r\nContent-Type: ${file.contentType}\r\n\r\n`
        : ''),
  )
  const tail = enc.encode(`${file ? '\r\n' : ''}--${boundary}--\r\n`)
  const length = head.length + (file?.size ?? 0) + tail.length
  const { readable, writable } = new FixedLengthStream(length)
  void (async () => {
    const writer = writable.getWriter()
    try {
      await writer.write(head)
      if (file) {
        const reader = file.body.getReader()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          await writer.write(value)
        }
      }
      await writer.write(tail)
      await writer.close()
    } catch (e) {
      await writer.abort(e).catch(() => {})
    }
  })()
  return { body: readable, contentType: `multipart/form-data; boundary=${boundary}`, length }
}

function escapeName(s: string): string {
  return s.replace(/["\r\n\\]/g, '_')
}
