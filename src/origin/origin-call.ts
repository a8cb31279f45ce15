import type { OriginConfig } from '../config/origins'
import { ApiError } from '../http/api-error'
import { edgeProofHeaders } from './edge-proof'
import type { OriginForm } from './cosyvoice-form'
import { multipartBody, type StreamedFile } from './multipart-body'

export interface OriginCallInput {
  form: OriginForm
  /** Opens the voice's prompt audio; called once per attempt (a stream can be read only once). */
  openPromptWav?: () => Promise<StreamedFile>
  requestId: string
  userId: string
  role: string
  originSecret: string
  /** Aborts the call and, later, the body (the client went away). */
  signal: AbortSignal
  firstByteTimeoutMs: number
}

/** An origin that has started sending audio: its first chunk and the rest of its body. */
export interface OpenOriginStream {
  origin: OriginConfig
  firstChunk: Uint8Array
  reader: ReadableStreamDefaultReader<Uint8Array>
}

/**
 * Calls one origin and waits for its first audio bytes. The stock server answers 200 before the
 * model runs, so a failure often looks like a 200 whose body ends, or is cut, before any audio:
 * only the first bytes of audio prove the synthesis started. Throws an ApiError (502/504) for every
 * way it can fail first: a NoAudioError when the origin answered but not with audio (the request
 * may be at fault as much as the origin), a plain ApiError when it could not be reached, answered
 * 5xx or did not answer in time (the origin is at fault).
 */
export async function openOriginStream(origin: OriginConfig, input: OriginCallInput): Promise<OpenOriginStream> {
  const file = input.form.needsPromptWav ? await input.openPromptWav?.() : undefined
  const { body, contentType } = multipartBody(input.form.fields, file)
  const headers = {
    'Content-Type': contentType,
    ...(await edgeProofHeaders(input.originSecret, {
      method: 'POST',
      path: input.form.path,
      requestId: input.requestId,
      userId: input.userId,
      role: input.role,
      timestamp: Math.floor(Date.now() / 1000),
    })),
  }
  // Only the wait for the first byte is timed here; the gap between chunks is the relay's job.
  const firstByte = new AbortController()
  const timer = setTimeout(() => firstByte.abort(new Error('first byte timeout')), input.firstByteTimeoutMs)
  const signal = AbortSignal.any([input.signal, firstByte.signal])
  const timedOut = (cause: unknown) => new ApiError(504, 'origin_timeout', 'the voice server did not start sending audio in time', { cause, internal: origin.url })
  try {
    let response: Response
    try {
      response = await fetch(`${origin.url}${input.form.path}`, { method: 'POST', headers, body, signal })
    } catch (e) {
      if (firstByte.signal.aborted) throw timedOut(e)
      throw new ApiError(502, 'origin_unavailable', 'the voice server could not be reached', { cause: e, internal: origin.url })
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {})
      const retryAfter = response.headers.get('retry-after')
      const headers: Record<string, string> = retryAfter ? { 'Retry-After': retryAfter } : {}
      const internal = `${origin.url} answered ${response.status}`
      // A 4xx is about this request (a field the server would not take); a 5xx is the server's.
      if (response.status < 500) throw new NoAudioError('origin_error', 'the voice server refused the request', internal)
      throw new ApiError(502, 'origin_error', 'the voice server refused the request', { internal, headers })
    }
    if (!response.body) throw new NoAudioError('origin_failed', 'the voice server returned no audio', `${origin.url} sent no body`)
    const reader = response.body.getReader()
    let first: ReadableStreamReadResult<Uint8Array>
    try {
      first = await readWithin(reader, signal)
    } catch (e) {
      reader.cancel().catch(() => {})
      if (firstByte.signal.aborted) throw timedOut(e)
      // The stock server's way of failing when the model raises: 200, then the connection closes.
      throw new NoAudioError('origin_failed', 'the voice server failed before sending audio', `${origin.url} cut the stream before any audio`, e)
    }
    if (first.done || first.value.length === 0) {
      // The rarer way: a complete, empty 200 (the model yielded nothing).
      reader.cancel().catch(() => {})
      throw new NoAudioError('origin_failed', 'the voice server returned no audio', `${origin.url} sent an empty body`)
    }
    return { origin, firstChunk: first.value, reader }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The origin answered, but not with audio: a 200 that ended or was cut before the first byte, or a
 * 4xx. The stock server fails a bad request (an unknown speaker, a prompt its model rejects) exactly
 * like a broken model (docs/ORIGIN-PROTOCOL.md), so this alone says nothing about the origin.
 */
export class NoAudioError extends ApiError {
  constructor(code: 'origin_failed' | 'origin_error', message: string, internal: string, cause?: unknown) {
    super(502, code, message, { internal, cause })
  }
}

/** reader.read() that gives up when `signal` aborts. */
export function readWithin<T>(reader: ReadableStreamDefaultReader<T>, signal: AbortSignal): Promise<ReadableStreamReadResult<T>> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    reader.read().then(
      (r) => {
        signal.removeEventListener('abort', onAbort)
        resolve(r)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
