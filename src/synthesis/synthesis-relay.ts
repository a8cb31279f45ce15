import { readWithin, type OpenOriginStream } from '../origin/origin-call'
import type { WavRecorder } from '../storage/wav-recorder'
import { wavHeader, type PcmFormat } from '../codecs/wav-header'
import { log } from '../log/log'

export type RelayFailure = 'odd_length' | 'origin_cut' | 'origin_idle_timeout' | 'storage_failed' | 'client_gone' | 'client_stalled'

export type RelayOutcome = { ok: true; object: R2Object } | { ok: false; reason: RelayFailure }

export interface RelayOptions {
  open: OpenOriginStream
  format: 'wav' | 'pcm'
  pcmFormat: PcmFormat
  recorder: WavRecorder
  /** Longest gap between origin chunks, and longest a client may leave audio unread. */
  idleTimeoutMs: number
  /** Stops the origin call (frees the GPU when the client is gone or the stream is broken). */
  abortOrigin: (reason: string) => void
  /** Aborts when the client goes away (the request's signal). */
  clientSignal?: AbortSignal
  /** Keeps the ending's work (freeing slots, dropping the recording) alive after the client has gone. */
  waitUntil: (promise: Promise<unknown>) => void
  /** Runs exactly once, before the client's stream closes or errors (settle quota, free slots). */
  onEnd: (outcome: RelayOutcome) => Promise<void>
  /**
   * The origin has sent its last byte, whole: its work is done (the GPU can be freed) while the
   * recording is committed. Before `onEnd`.
   */
  onOriginDone?: () => void
}

/**
 * The client's audio stream: origin PCM passed on as it arrives, with no buffering beyond one
 * chunk, while the same bytes are recorded to R2. The recording is committed, and `onEnd` has run,
 * before the client sees the end of the stream, so the audio is listed by the time the download
 * finishes. Any failure mid-way errors the client's stream (it cannot become a JSON error once audio
 * has started) and drops the recording.
 *
 * The origin is only read as fast as the client reads, so a client that stops reading would hold
 * its GPU slot as long as its connection stays open: after `idleTimeoutMs` without a read it is
 * treated as gone.
 */
export function relaySynthesis(options: RelayOptions): ReadableStream<Uint8Array> {
  const { open, recorder } = options
  const aligner = new SampleAligner()
  let ended = false
  let finishing = false
  let stallTimer: ReturnType<typeof setTimeout> | null = null
  let controller!: ReadableStreamDefaultController<Uint8Array>

  const end = (outcome: RelayOutcome): Promise<void> => {
    if (ended) return Promise.resolve()
    ended = true
    clearTimeout(stallTimer)
    if (!outcome.ok) options.abortOrigin(outcome.reason)
    // Slots first: freeing them must not wait on R2. Nothing here may fail the client's stream.
    const ending = Promise.all([
      options.onEnd(outcome).catch((e: unknown) => log.error({ relay_on_end_error: String(e) })),
      outcome.ok ? undefined : recorder.abort().catch(() => {}),
    ]).then(() => {})
    options.waitUntil(ending)
    return ending
  }
  const fail = async (reason: RelayFailure, error: unknown) => {
    await end({ ok: false, reason })
    try {
      controller.error(error)
    } catch {
      // Already closed or cancelled.
    }
  }
  const clientLeft = (reason: 'client_gone' | 'client_stalled') => {
    // Past the last origin byte the recording is being committed: let it finish as a success.
    if (!finishing) void fail(reason, new Error(reason === 'client_gone' ? 'client disconnected' : 'client stopped reading'))
  }
  const enqueue = (chunk: Uint8Array) => {
    if (ended) return
    controller.enqueue(chunk)
    stallTimer = setTimeout(() => clientLeft('client_stalled'), options.idleTimeoutMs)
  }

  return new ReadableStream<Uint8Array>(
    {
      async start(c) {
        controller = c
        if (options.clientSignal?.aborted) return clientLeft('client_gone')
        options.clientSignal?.addEventListener('abort', () => clientLeft('client_gone'), { once: true })
        try {
          if (options.format === 'wav') controller.enqueue(wavHeader(options.pcmFormat))
          const pcm = aligner.push(open.firstChunk)
          await recorder.write(pcm)
          enqueue(pcm)
        } catch (e) {
          await fail('storage_failed', e)
        }
      },
      async pull() {
        clearTimeout(stallTimer)
        let failure: RelayFailure = 'origin_cut'
        try {
          const result = await readWithin(open.reader, AbortSignal.timeout(options.idleTimeoutMs)).catch((e) => {
            if (e instanceof DOMException && e.name === 'TimeoutError') failure = 'origin_idle_timeout'
            throw e
          })
          if (ended) return
          if (result.done) {
            // An odd byte count means the origin stopped inside a sample: a failed synthesis.
            if (aligner.pending) {
              failure = 'odd_length'
              throw new Error('odd number of PCM bytes')
            }
            failure = 'storage_failed'
            finishing = true
            options.onOriginDone?.()
            const object = await recorder.finish()
            await end({ ok: true, object })
            controller.close()
            return
          }
          const pcm = aligner.push(result.value)
          if (pcm.length === 0) return
          failure = 'storage_failed'
          await recorder.write(pcm)
          enqueue(pcm)
        } catch (e) {
          await fail(failure, e)
        }
      },
      async cancel() {
        clientLeft('client_gone')
      },
    },
    // Pull only when the client asks: the Worker holds no audio beyond the chunk in hand.
    { highWaterMark: 0 },
  )
}

/** Keeps whole 16-bit samples: network chunks may split a sample, an odd total is an error. */
class SampleAligner {
  #carry: number | undefined

  get pending(): boolean {
    return this.#carry !== undefined
  }

  push(chunk: Uint8Array): Uint8Array {
    let bytes = chunk
    if (this.#carry !== undefined) {
      bytes = new Uint8Array(chunk.length + 1)
      bytes[0] = this.#carry
      bytes.set(chunk, 1)
      this.#carry = undefined
    }
    if (bytes.length % 2 === 1) {
      this.#carry = bytes[bytes.length - 1]
      bytes = bytes.subarray(0, bytes.length - 1)
    }
    return bytes
  }
}
