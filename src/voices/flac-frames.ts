import { invalidAudio } from './prompt-audio-error'

/**
 * A FLAC decoder for the audio frames (RFC 9639 §9-§11): every frame is decoded and its CRC-16
 * checked, so a file whose header promises audio it does not hold is caught (issue 13: a 44-byte
 * FLAC claiming 10 s passed a header-only check). Decoded blocks go to `onBlock` (the level meter);
 * nothing is kept. Pure TypeScript, for workerd.
 */

export interface FlacStream {
  sampleRate: number
  channels: number
  bitsPerSample: number
  /** STREAMINFO's total samples per channel (never 0 here: prompt-audio.ts refuses an unknown length). */
  totalSamples: number
}

/** One decoded block: `channels[c][0 … length-1]` are the samples of channel c, as integers. */
export type BlockSink = (channels: readonly Int32Array[], length: number) => void

/**
 * Decodes the frames that start at byte `offset` until STREAMINFO's total samples are decoded.
 * Bytes after that (an ID3v1 tag, say) are ignored.
 * @throws PromptAudioError `invalid_audio` when the frames end early, hold more than the header
 *   states, are corrupt (CRC) or use something the stream's header does not declare.
 */
export function decodeFlacFrames(bytes: Uint8Array, offset: number, stream: FlacStream, onBlock: BlockSink): void {
  const reader = new BitReader(bytes, offset)
  const buffers: Int32Array[] = Array.from({ length: stream.channels }, () => new Int32Array(0))
  let decoded = 0
  let frame = 0
  try {
    while (decoded < stream.totalSamples) {
      const length = decodeFrame(reader, stream, buffers, frame)
      decoded += length
      if (decoded > stream.totalSamples) throw invalidAudio(`FLAC frames hold more samples than the ${stream.totalSamples} its header states`)
      onBlock(buffers, length)
      frame += 1
    }
  } catch (e) {
    if (!(e instanceof EndOfData)) throw e
    const seconds = (n: number) => (n / stream.sampleRate).toFixed(2)
    throw invalidAudio(`FLAC audio ends after ${seconds(decoded)} s of the ${seconds(stream.totalSamples)} s its header states`)
  }
}

/** Raised by the reader at the end of the bytes; turned into one message above. */
class EndOfData extends Error {}

const SYNC_BYTE_2 = 0xf8
const RATE_CODES = [0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000]
const SAMPLE_SIZE_CODES = [0, 8, 12, -1, 16, 20, 24, 32]
const LEFT_SIDE = 8
const SIDE_RIGHT = 9
const MID_SIDE = 10

/** Decodes one frame into `out` (grown as needed) and returns its block size. */
function decodeFrame(r: BitReader, stream: FlacStream, out: Int32Array[], index: number): number {
  const start = r.bytePosition()
  const where = `FLAC frame ${index + 1}`
  if (r.bits(8) !== 0xff || (r.bits(8) & 0xfe) !== SYNC_BYTE_2) throw invalidAudio(`${where} does not start with a frame sync code`)
  const blockCode = r.bits(4)
  const rateCode = r.bits(4)
  const channelCode = r.bits(4)
  const sizeCode = r.bits(3)
  if (r.bits(1) !== 0) throw invalidAudio(`${where} has a reserved header bit set`)
  readCodedNumber(r, where)
  let blockSize: number
  if (blockCode === 0) throw invalidAudio(`${where} uses a reserved block size`)
  else if (blockCode === 1) blockSize = 192
  else if (blockCode <= 5) blockSize = 576 << (blockCode - 2)
  else if (blockCode === 6) blockSize = r.bits(8) + 1
  else if (blockCode === 7) blockSize = r.bits(16) + 1
  else blockSize = 256 << (blockCode - 8)
  let rate: number
  if (rateCode === 0) rate = stream.sampleRate
  else if (rateCode < 12) rate = RATE_CODES[rateCode]!
  else if (rateCode === 12) rate = r.bits(8) * 1000
  else if (rateCode === 13) rate = r.bits(16)
  else if (rateCode === 14) rate = r.bits(16) * 10
  else throw invalidAudio(`${where} has an invalid sample rate code`)
  const headerEnd = r.bytePosition()
  if (r.bits(8) !== crc8(r.bytes, start, headerEnd)) throw invalidAudio(`${where} has a corrupt header (CRC-8 mismatch)`)

  const channels = channelCode < 8 ? channelCode + 1 : channelCode <= MID_SIDE ? 2 : 0
  const bits = sizeCode === 0 ? stream.bitsPerSample : SAMPLE_SIZE_CODES[sizeCode]!
  if (rate !== stream.sampleRate) throw invalidAudio(`${where} is at ${rate} Hz, the header says ${stream.sampleRate} Hz`)
  if (channels !== stream.channels) throw invalidAudio(`${where} has ${channels || 'an invalid number of'} channels, the header says ${stream.channels}`)
  if (bits !== stream.bitsPerSample) throw invalidAudio(`${where} has ${bits < 0 ? 'a reserved' : bits}-bit samples, the header says ${stream.bitsPerSample}`)

  for (let c = 0; c < channels; c++) {
    if (out[c]!.length < blockSize) out[c] = new Int32Array(Math.max(blockSize, 4096))
    // The side channel of a stereo decorrelation has one bit more.
    const side = (channelCode === LEFT_SIDE && c === 1) || (channelCode === SIDE_RIGHT && c === 0) || (channelCode === MID_SIDE && c === 1)
    decodeSubframe(r, out[c]!, blockSize, bits + (side ? 1 : 0), where)
  }
  r.alignToByte()
  const crcAt = r.bytePosition()
  if (r.bits(16) !== crc16(r.bytes, start, crcAt)) throw invalidAudio(`${where} is corrupt (CRC-16 mismatch)`)

  if (channelCode >= LEFT_SIDE) undoStereoDecorrelation(channelCode, out[0]!, out[1]!, blockSize)
  return blockSize
}

/** The frame (or sample) number: UTF-8-like, 1 to 7 bytes. Only its well-formedness matters here. */
function readCodedNumber(r: BitReader, where: string): void {
  const first = r.bits(8)
  if (first < 0x80) return
  const length = Math.clz32(~first << 24)
  if (length < 2 || length > 7) throw invalidAudio(`${where} has a malformed frame number`)
  for (let i = 1; i < length; i++) if ((r.bits(8) & 0xc0) !== 0x80) throw invalidAudio(`${where} has a malformed frame number`)
}

const FIXED_MAX_ORDER = 4

function decodeSubframe(r: BitReader, out: Int32Array, blockSize: number, sampleBits: number, where: string): void {
  if (r.bits(1) !== 0) throw invalidAudio(`${where} has a subframe with a nonzero padding bit`)
  const type = r.bits(6)
  const wasted = r.bits(1) ? r.unary() + 1 : 0
  const bits = sampleBits - wasted
  if (bits <= 0) throw invalidAudio(`${where} has a subframe with more wasted bits than sample bits`)

  if (type === 0) {
    out.fill(r.signed(bits), 0, blockSize)
  } else if (type === 1) {
    for (let i = 0; i < blockSize; i++) out[i] = r.signed(bits)
  } else if (type >= 8 && type <= 8 + FIXED_MAX_ORDER) {
    const order = type - 8
    readWarmUp(r, out, order, blockSize, bits, where)
    readResidual(r, out, order, blockSize, where)
    predictFixed(out, order, blockSize)
  } else if (type >= 32) {
    const order = type - 31
    readWarmUp(r, out, order, blockSize, bits, where)
    const precision = r.bits(4) + 1
    if (precision === 16) throw invalidAudio(`${where} has an invalid LPC coefficient precision`)
    const shift = r.signed(5)
    if (shift < 0) throw invalidAudio(`${where} has a negative LPC shift`)
    const coefficients = new Float64Array(order)
    for (let j = 0; j < order; j++) coefficients[j] = r.signed(precision)
    readResidual(r, out, order, blockSize, where)
    predictLpc(out, coefficients, shift, blockSize)
  } else {
    throw invalidAudio(`${where} uses a reserved subframe type`)
  }
  if (wasted) for (let i = 0; i < blockSize; i++) out[i] = out[i]! * 2 ** wasted
}

function readWarmUp(r: BitReader, out: Int32Array, order: number, blockSize: number, bits: number, where: string): void {
  if (order > blockSize) throw invalidAudio(`${where} has a predictor longer than its block`)
  for (let i = 0; i < order; i++) out[i] = r.signed(bits)
}

/** Rice-coded residuals (RFC 9639 §9.2.7) into `out[order …]`. */
function readResidual(r: BitReader, out: Int32Array, order: number, blockSize: number, where: string): void {
  const method = r.bits(2)
  if (method > 1) throw invalidAudio(`${where} uses a reserved residual coding`)
  const parameterBits = method === 0 ? 4 : 5
  const escapeCode = method === 0 ? 15 : 31
  const partitionOrder = r.bits(4)
  const partitions = 1 << partitionOrder
  const partitionSize = blockSize >> partitionOrder
  if (partitionSize << partitionOrder !== blockSize || partitionSize < order) throw invalidAudio(`${where} has an invalid residual partition order`)
  let i = order
  for (let p = 0; p < partitions; p++) {
    const end = (p + 1) * partitionSize
    const k = r.bits(parameterBits)
    if (k === escapeCode) {
      const raw = r.bits(5)
      for (; i < end; i++) out[i] = raw ? r.signed(raw) : 0
      continue
    }
    if (!r.rice(out, i, end, k)) throw invalidAudio(`${where} has a residual out of range`)
    i = end
  }
}

function predictFixed(s: Int32Array, order: number, n: number): void {
  switch (order) {
    case 1:
      for (let i = 1; i < n; i++) s[i] = s[i]! + s[i - 1]!
      break
    case 2:
      for (let i = 2; i < n; i++) s[i] = s[i]! + 2 * s[i - 1]! - s[i - 2]!
      break
    case 3:
      for (let i = 3; i < n; i++) s[i] = s[i]! + 3 * s[i - 1]! - 3 * s[i - 2]! + s[i - 3]!
      break
    case 4:
      for (let i = 4; i < n; i++) s[i] = s[i]! + 4 * s[i - 1]! - 6 * s[i - 2]! + 4 * s[i - 3]! - s[i - 4]!
      break
  }
}

/** Sums stay exact in doubles: 32 coefficients of 15 bits times samples of 25 bits is under 2^45. */
function predictLpc(s: Int32Array, coefficients: Float64Array, shift: number, n: number): void {
  const order = coefficients.length
  const divisor = 2 ** shift
  for (let i = order; i < n; i++) {
    let sum = 0
    for (let j = 0; j < order; j++) sum += coefficients[j]! * s[i - 1 - j]!
    s[i] = s[i]! + Math.floor(sum / divisor)
  }
}

function undoStereoDecorrelation(code: number, a: Int32Array, b: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = a[i]!
    const y = b[i]!
    if (code === LEFT_SIDE) b[i] = x - y
    else if (code === SIDE_RIGHT) a[i] = x + y
    else {
      const mid = x * 2 + (y & 1)
      a[i] = (mid + y) >> 1
      b[i] = (mid - y) >> 1
    }
  }
}

/** MSB-first bit reader over `bytes` from a byte offset; throws EndOfData past the end. */
class BitReader {
  readonly bytes: Uint8Array
  #pos: number

  constructor(bytes: Uint8Array, byteOffset: number) {
    this.bytes = bytes
    this.#pos = byteOffset * 8
  }

  bytePosition(): number {
    return this.#pos >>> 3
  }

  alignToByte(): void {
    this.#pos = (this.#pos + 7) & ~7
  }

  /** `n` (0 to 32) bits as an unsigned number. */
  bits(n: number): number {
    let value = 0
    while (n > 0) {
      const index = this.#pos >>> 3
      if (index >= this.bytes.length) throw new EndOfData()
      const available = 8 - (this.#pos & 7)
      const take = Math.min(available, n)
      value = value * (1 << take) + ((this.bytes[index]! >>> (available - take)) & ((1 << take) - 1))
      this.#pos += take
      n -= take
    }
    return value
  }

  /** `n` bits as a two's complement number. */
  signed(n: number): number {
    const value = this.bits(n)
    return value >= 2 ** (n - 1) ? value - 2 ** n : value
  }

  /**
   * Rice-coded values (`k`-bit parameter, zigzag-folded) into `out[from … to-1]`: the decoder's hot
   * loop, on local variables. False if a value does not fit 32 bits (RFC 9639 forbids it).
   */
  rice(out: Int32Array, from: number, to: number, k: number): boolean {
    const bytes = this.bytes
    const length = bytes.length
    const limit = length * 8
    const scale = 2 ** k
    let pos = this.#pos
    for (let i = from; i < to; i++) {
      let quotient = 0
      for (;;) {
        const index = pos >>> 3
        if (index >= length) throw new EndOfData()
        const used = pos & 7
        const rest = bytes[index]! & (0xff >>> used)
        if (rest === 0) {
          quotient += 8 - used
          pos += 8 - used
          continue
        }
        const zeros = Math.clz32(rest) - 24 - used
        quotient += zeros
        pos += zeros + 1
        break
      }
      let low = 0
      if (k > 0) {
        if (pos + k > limit) throw new EndOfData()
        const index = pos >>> 3
        const used = pos & 7
        if (used + k <= 32) {
          // Up to four bytes as one big-endian word (bytes past the end read as 0, never used).
          const word = ((bytes[index]! << 24) | ((bytes[index + 1] ?? 0) << 16) | ((bytes[index + 2] ?? 0) << 8) | (bytes[index + 3] ?? 0)) >>> 0
          low = ((word << used) >>> 0) >>> (32 - k)
          pos += k
        } else {
          this.#pos = pos
          low = this.bits(k)
          pos = this.#pos
        }
      }
      const folded = quotient * scale + low
      const half = Math.floor(folded / 2)
      const value = folded % 2 ? -half - 1 : half
      if (value > 0x7fffffff || value < -0x80000000) return false
      out[i] = value
    }
    this.#pos = pos
    return true
  }

  /** The number of 0 bits before the next 1 bit, which is consumed. */
  unary(): number {
    let count = 0
    for (;;) {
      const index = this.#pos >>> 3
      if (index >= this.bytes.length) throw new EndOfData()
      const used = this.#pos & 7
      const rest = this.bytes[index]! & (0xff >>> used)
      if (rest === 0) {
        count += 8 - used
        this.#pos += 8 - used
        continue
      }
      const zeros = Math.clz32(rest) - 24 - used
      this.#pos += zeros + 1
      return count + zeros
    }
  }
}

const CRC8_TABLE = crcTable(0x07, 8)
const CRC16_TABLE = crcTable(0x8005, 16)

function crcTable(polynomial: number, width: number): Uint16Array {
  const top = 1 << (width - 1)
  const mask = (1 << width) - 1
  const table = new Uint16Array(256)
  for (let n = 0; n < 256; n++) {
    let crc = n << (width - 8)
    for (let i = 0; i < 8; i++) crc = crc & top ? ((crc << 1) ^ polynomial) & mask : (crc << 1) & mask
    table[n] = crc
  }
  return table
}

function crc8(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0
  for (let i = from; i < to; i++) crc = CRC8_TABLE[crc ^ bytes[i]!]!
  return crc
}

function crc16(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[(crc >>> 8) ^ bytes[i]!]!
  return crc
}
