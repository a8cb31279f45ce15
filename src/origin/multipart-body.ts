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
 * so the origin gets a Content-Length instead of a chunked upload. A form without a file is one
 * buffer: written as several small pieces it costs a delayed-ACK round on the origin's socket
 * (~20 ms measured on loopback, the bulk of the edge's overhead).
 */
export function multipartBody(fields: [string, string][], file?: StreamedFile): { body: ReadableStream<Uint8Array> | Uint8Array; contentType: string } {
  const boundary = `----cosyvoice-edge-${crypto.randomUUID()}`
  const enc = new TextEncoder()
  const head = enc.encode(
    fields.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"\r\n\r\n${value}\r\n`).join('') +
      (file
        ? `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(file.name)}"; filename="${escapeName(file.filename)}"\r\nContent-Type: ${file.contentType}\r\n\r\n`
        : ''),
  )
  const tail = enc.encode(`${file ? '\r\n' : ''}--${boundary}--\r\n`)
  const contentType = `multipart/form-data; boundary=${boundary}`
  if (!file) {
    const whole = new Uint8Array(head.length + tail.length)
    whole.set(head)
    whole.set(tail, head.length)
    return { body: whole, contentType }
  }
  const { readable, writable } = new FixedLengthStream(head.length + file.size + tail.length)
  void (async () => {
    const writer = writable.getWriter()
    try {
      await writer.write(head)
      const reader = file.body.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        await writer.write(value)
      }
      await writer.write(tail)
      await writer.close()
    } catch (e) {
      await writer.abort(e).catch(() => {})
    }
  })()
  return { body: readable, contentType }
}

function escapeName(s: string): string {
  return s.replace(/["\r\n\\]/g, '_')
}
