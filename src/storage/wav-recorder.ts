import { WAV_HEADER_BYTES, wavHeader, type PcmFormat } from '../codecs/wav-header'

/**
 * R2 requires every part of a multipart upload but the last to be at least 5 MiB and all of the same
 * size, so parts are exactly this size.
 */
export const PART_BYTES = 5 * 1024 * 1024
/** A part's buffer starts this small and doubles as audio arrives: most syntheses are short. */
const INITIAL_BUFFER_BYTES = 64 * 1024

export interface RecordingOptions {
  bucket: R2Bucket
  key: string
  format: PcmFormat
  httpMetadata?: R2HTTPMetadata
  customMetadata?: Record<string, string>
}

/**
 * Writes a stream of PCM to R2 as a complete WAV whose header states the true length, with memory
 * bounded whatever the length of the audio.
 *
 * The header is at the front of the file but its length is only known at the end. So the first part
 * (header + the first ~5 MiB of audio) stays in memory until `finish()`, later parts are uploaded as
 * they fill (at most one upload in flight), and the first part is uploaded last with the real
 * header. The first part's buffer grows as audio arrives, so a short synthesis holds kilobytes; a
 * long one holds the first part and two part buffers that take turns (~15 MiB), however long. Audio shorter than one part (under ~109 s at 24 kHz) is a single `put` at the end. Either
 * way nothing is visible in the bucket until the recording is complete: an aborted recording leaves
 * no object behind (an unfinished multipart upload is aborted, and R2 expires any it misses).
 */
export class WavRecorder {
  readonly #options: RecordingOptions
  #head = new Uint8Array(INITIAL_BUFFER_BYTES)
  #current: Uint8Array = this.#head
  #filled = WAV_HEADER_BYTES
  #partNumber = 1
  #upload: R2MultipartUpload | undefined
  #uploaded: R2UploadedPart[] = []
  #inFlight: Promise<void> | undefined
  #spare: Uint8Array | undefined
  #pcmBytes = 0
  #state: 'open' | 'finished' | 'aborted' = 'open'

  constructor(options: RecordingOptions) {
    this.#options = options
  }

  get pcmBytes(): number {
    return this.#pcmBytes
  }

  async write(pcm: Uint8Array): Promise<void> {
    if (this.#state !== 'open') throw new Error(`recording is ${this.#state}`)
    this.#pcmBytes += pcm.length
    let offset = 0
    while (offset < pcm.length) {
      const n = Math.min(pcm.length - offset, PART_BYTES - this.#filled)
      this.#reserve(n)
      this.#current.set(pcm.subarray(offset, offset + n), this.#filled)
      this.#filled += n
      offset += n
      if (this.#filled === PART_BYTES) await this.#rotate()
    }
  }

  /** Uploads what was recorded and returns the stored object. */
  async finish(): Promise<R2Object> {
    if (this.#state !== 'open') throw new Error(`recording is ${this.#state}`)
    this.#state = 'finished'
    const { bucket, key, format, httpMetadata, customMetadata } = this.#options
    this.#head.set(wavHeader(format, this.#pcmBytes))
    if (!this.#upload) {
      return bucket.put(key, this.#head.subarray(0, this.#filled), { httpMetadata, customMetadata })
    }
    await this.#inFlight
    const upload = this.#upload
    const parts = [...this.#uploaded]
    parts.push(await upload.uploadPart(1, this.#head))
    if (this.#filled > 0) parts.push(await upload.uploadPart(this.#partNumber, this.#current.subarray(0, this.#filled)))
    parts.sort((a, b) => a.partNumber - b.partNumber)
    return upload.complete(parts)
  }

  /** Drops the recording: nothing complete-looking is left in the bucket. */
  async abort(): Promise<void> {
    if (this.#state !== 'open') return
    this.#state = 'aborted'
    await this.#inFlight?.catch(() => {})
    await this.#upload?.abort().catch(() => {})
  }

  async #rotate(): Promise<void> {
    if (this.#partNumber > 1) {
      await this.#inFlight
      const part = this.#current
      const partNumber = this.#partNumber
      this.#upload ??= await this.#createUpload()
      const upload = this.#upload
      this.#inFlight = upload.uploadPart(partNumber, part).then((p) => {
        this.#uploaded.push(p)
        // Uploaded: its buffer fills the part after next. Two whole-part buffers take turns.
        this.#spare = part
      })
    } else {
      this.#upload ??= await this.#createUpload()
    }
    this.#partNumber += 1
    // Past the first part the audio is long: whole-part buffers, reused, not grown.
    this.#current = this.#spare ?? new Uint8Array(PART_BYTES)
    this.#spare = undefined
    this.#filled = 0
  }

  /** Grows the current part's buffer (doubling, up to a whole part) to take `n` more bytes. */
  #reserve(n: number): void {
    if (this.#filled + n <= this.#current.length) return
    const grown = new Uint8Array(Math.min(PART_BYTES, Math.max(this.#current.length * 2, this.#filled + n)))
    grown.set(this.#current.subarray(0, this.#filled))
    if (this.#current === this.#head) this.#head = grown
    this.#current = grown
  }

  #createUpload(): Promise<R2MultipartUpload> {
    const { bucket, key, httpMetadata, customMetadata } = this.#options
    return bucket.createMultipartUpload(key, { httpMetadata, customMetadata })
  }
}
