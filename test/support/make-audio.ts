/**
 * Builders for small, genuinely valid audio (and non-audio) files used in tests.
 * Pure TypeScript with no Node APIs, so they also work inside workerd tests.
 */

import { concatBytes } from './bytes'

export interface WavOptions {
  sampleRate?: number
  channels?: number
  seconds?: number
  /** 8 (unsigned), 16, 24 or 32 for PCM; 32 (or 64) with `float`. */
  bits?: number
  float?: boolean
  /** Write a WAVE_FORMAT_EXTENSIBLE fmt chunk with the matching sub-format GUID. */
  extensible?: boolean
  frequency?: number
  /** Extra chunks placed between the RIFF header and `fmt ` (e.g. an odd-sized LIST). */
  leadingChunks?: ReadonlyArray<{ id: string; body: Uint8Array }>
}

export interface FlacOptions {
  sampleRate?: number
  channels?: number
  seconds?: number
  bits?: number
  frequency?: number
  /** If set, a PADDING metadata block of this many bytes follows STREAMINFO. */
  paddingBytes?: number
}

const AMPLITUDE = 0.5
const FLAC_BLOCK_SIZE = 4096

function sine(frame: number, channel: number, sampleRate: number, frequency: number): number {
  // Offset the second channel's phase so stereo files are not two identical channels.
  return AMPLITUDE * Math.sin((2 * Math.PI * frequency * frame) / sampleRate + channel * 0.5)
}

function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0))
}

// ---------------------------------------------------------------------------
// WAV

function riffChunk(id: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length & 1))
  out.set(asciiBytes(id), 0)
  new DataView(out.buffer).setUint32(4, body.length, true)
  out.set(body, 8)
  return out
}

/** A sine-wave WAV file with a correct RIFF layout. */
export function makeWav({
  sampleRate = 24000,
  channels = 1,
  seconds = 2,
  bits = 16,
  float = false,
  extensible = false,
  frequency = 440,
  leadingChunks = [],
}: WavOptions = {}): Uint8Array {
  const bytesPerSample = bits / 8
  const blockAlign = channels * bytesPerSample
  const frames = Math.round(seconds * sampleRate)
  const formatTag = float ? 0x0003 : 0x0001

  // Non-PCM WAVEFORMATEX carries a cbSize field (0 here), so float gets an 18-byte fmt chunk.
  const fmt = new Uint8Array(extensible ? 40 : float ? 18 : 16)
  const f = new DataView(fmt.buffer)
  f.setUint16(0, extensible ? 0xfffe : formatTag, true)
  f.setUint16(2, channels, true)
  f.setUint32(4, sampleRate, true)
  f.setUint32(8, sampleRate * blockAlign, true)
  f.setUint16(12, blockAlign, true)
  f.setUint16(14, bits, true)
  if (extensible) {
    f.setUint16(16, 22, true) // cbSize
    f.setUint16(18, bits, true) // valid bits
    f.setUint32(20, channels === 1 ? 0x4 : (1 << channels) - 1, true) // speaker mask
    f.setUint16(24, formatTag, true) // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT
    fmt.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26)
  }

  const data = new Uint8Array(frames * blockAlign)
  const d = new DataView(data.buffer)
  const max = 2 ** (bits - 1) - 1
  let pos = 0
  for (let i = 0; i < frames; i++) {
    for (let ch = 0; ch < channels; ch++) {
      const s = sine(i, ch, sampleRate, frequency)
      if (float && bits === 32) d.setFloat32(pos, s, true)
      else if (float) d.setFloat64(pos, s, true)
      else if (bits === 8) d.setUint8(pos, 128 + Math.round(s * 127))
      else if (bits === 16) d.setInt16(pos, Math.round(s * max), true)
      else if (bits === 24) {
        const v = Math.round(s * max)
        d.setUint8(pos, v & 0xff)
        d.setInt16(pos + 1, v >> 8, true)
      } else if (bits === 32) d.setInt32(pos, Math.round(s * max), true)
      else throw new Error(`makeWav: unsupported bits ${bits}`)
      pos += bytesPerSample
    }
  }

  // Non-PCM WAVs also carry a fact chunk with the frame count.
  const fact = new Uint8Array(4)
  new DataView(fact.buffer).setUint32(0, frames, true)

  const body = concatBytes([
    asciiBytes('WAVE'),
    ...leadingChunks.map((c) => riffChunk(c.id, c.body)),
    riffChunk('fmt ', fmt),
    ...(float ? [riffChunk('fact', fact)] : []),
    riffChunk('data', data),
  ])
  const header = new Uint8Array(8)
  header.set(asciiBytes('RIFF'), 0)
  new DataView(header.buffer).setUint32(4, body.length, true)
  return concatBytes([header, body])
}

// ---------------------------------------------------------------------------
// FLAC

class BitWriter {
  private readonly bytes: number[] = []
  private acc = 0
  private used = 0

  /** Appends the low `bits` bits of `value` (two's complement for negatives), MSB first. */
  write(value: number, bits: number): void {
    let v = value < 0 ? value + 2 ** bits : value
    if (this.used === 0 && bits % 8 === 0) {
      for (let shift = bits - 8; shift >= 0; shift -= 8) {
        this.bytes.push(Math.floor(v / 2 ** shift) & 0xff)
      }
      return
    }
    for (let i = bits - 1; i >= 0; i--) {
      const bit = Math.floor(v / 2 ** i) & 1
      v -= bit * 2 ** i
      this.acc = (this.acc << 1) | bit
      if (++this.used === 8) {
        this.bytes.push(this.acc)
        this.acc = 0
        this.used = 0
      }
    }
  }

  alignToByte(): void {
    if (this.used > 0) this.write(0, 8 - this.used)
  }

  get length(): number {
    return this.bytes.length
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.bytes)
  }
}

/** CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), init 0: protects FLAC frame headers. */
export function crc8(bytes: Uint8Array): number {
  let crc = 0
  for (const b of bytes) {
    crc ^= b
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff
  }
  return crc
}

/** CRC-16, polynomial x^16 + x^15 + x^2 + 1 (0x8005), init 0: protects whole FLAC frames. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0
  for (const b of bytes) {
    crc ^= b << 8
    for (let i = 0; i < 8; i++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff
    }
  }
  return crc
}

/** FLAC's UTF-8-like variable-length coding of the frame number (up to 36 bits). */
function flacUtf8(value: number): number[] {
  if (value < 0x80) return [value]
  let n = 2
  while (value >= 2 ** (5 * (n - 1) + (7 - n))) n++
  const out: number[] = []
  let v = value
  for (let k = 1; k < n; k++) {
    out.unshift(0x80 | (v & 0x3f))
    v = Math.floor(v / 64)
  }
  out.unshift(((0xff << (8 - n)) & 0xff) | v)
  return out
}

const FLAC_RATE_CODES: Record<number, number> = {
  88200: 1,
  176400: 2,
  192000: 3,
  8000: 4,
  16000: 5,
  22050: 6,
  24000: 7,
  32000: 8,
  44100: 9,
  48000: 10,
  96000: 11,
}

const FLAC_SAMPLE_SIZE_CODES: Record<number, number> = { 8: 1, 12: 2, 16: 4, 20: 5, 24: 6, 32: 7 }

function flacFrame(frameNumber: number, samples: ReadonlyArray<Int32Array>, blockSize: number, sampleRate: number, bits: number): Uint8Array {
  const w = new BitWriter()
  w.write(0b11111111111110, 14) // sync
  w.write(0, 1) // reserved
  w.write(0, 1) // fixed-blocksize stream

  const blockCode = blockSize === FLAC_BLOCK_SIZE ? 0b1100 : blockSize <= 256 ? 0b0110 : 0b0111
  w.write(blockCode, 4)

  let rateCode = FLAC_RATE_CODES[sampleRate]
  let rateTail: [number, number] | undefined
  if (rateCode === undefined) {
    if (sampleRate % 1000 === 0 && sampleRate / 1000 < 256) {
      rateCode = 0b1100
      rateTail = [sampleRate / 1000, 8]
    } else if (sampleRate < 65536) {
      rateCode = 0b1101
      rateTail = [sampleRate, 16]
    } else if (sampleRate % 10 === 0 && sampleRate / 10 < 65536) {
      rateCode = 0b1110
      rateTail = [sampleRate / 10, 16]
    } else {
      rateCode = 0 // take it from STREAMINFO
    }
  }
  w.write(rateCode, 4)
  w.write(samples.length - 1, 4) // independent channels
  w.write(FLAC_SAMPLE_SIZE_CODES[bits] ?? 0, 3)
  w.write(0, 1) // reserved
  for (const byte of flacUtf8(frameNumber)) w.write(byte, 8)
  if (blockCode === 0b0110) w.write(blockSize - 1, 8)
  if (blockCode === 0b0111) w.write(blockSize - 1, 16)
  if (rateTail) w.write(rateTail[0], rateTail[1])
  w.write(crc8(w.toBytes()), 8)

  for (const channel of samples) {
    w.write(0, 1) // zero pad
    w.write(0b000001, 6) // VERBATIM
    w.write(0, 1) // no wasted bits
    for (const s of channel) w.write(s, bits)
  }
  w.alignToByte()
  w.write(crc16(w.toBytes()), 16)
  return w.toBytes()
}

/**
 * A valid FLAC file of a sine wave: STREAMINFO (with MD5), then one VERBATIM
 * frame per 4096-sample block. Verified with `flac -t`.
 */
export function makeFlac({ sampleRate = 24000, channels = 1, seconds = 2, bits = 16, frequency = 440, paddingBytes }: FlacOptions = {}): Uint8Array {
  const totalSamples = Math.round(seconds * sampleRate)
  const max = 2 ** (bits - 1) - 1
  const pcm = Array.from({ length: channels }, (_, ch) => {
    const out = new Int32Array(totalSamples)
    for (let i = 0; i < totalSamples; i++) out[i] = Math.round(sine(i, ch, sampleRate, frequency) * max)
    return out
  })

  const frames: Uint8Array[] = []
  for (let start = 0, n = 0; start < totalSamples; start += FLAC_BLOCK_SIZE, n++) {
    const size = Math.min(FLAC_BLOCK_SIZE, totalSamples - start)
    const block = pcm.map((ch) => ch.subarray(start, start + size))
    frames.push(flacFrame(n, block, size, sampleRate, bits))
  }
  const frameSizes = frames.map((f) => f.length)

  const info = new BitWriter()
  const blockSize = Math.max(16, Math.min(FLAC_BLOCK_SIZE, totalSamples))
  info.write(blockSize, 16) // min block size
  info.write(blockSize, 16) // max block size
  info.write(frameSizes.length ? Math.min(...frameSizes) : 0, 24)
  info.write(frameSizes.length ? Math.max(...frameSizes) : 0, 24)
  info.write(sampleRate, 20)
  info.write(channels - 1, 3)
  info.write(bits - 1, 5)
  info.write(totalSamples, 36)
  const streamInfo = concatBytes([info.toBytes(), md5(interleavedLittleEndian(pcm, bits))])

  const hasPadding = paddingBytes !== undefined
  const blocks = [metadataBlock(0, !hasPadding, streamInfo)]
  if (hasPadding) blocks.push(metadataBlock(1, true, new Uint8Array(paddingBytes)))

  return concatBytes([asciiBytes('fLaC'), ...blocks, ...frames])
}

function metadataBlock(type: number, last: boolean, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length)
  new DataView(out.buffer).setUint32(0, ((last ? 0x80 : 0) | type) * 2 ** 24 + body.length, false)
  out.set(body, 4)
  return out
}

/** The byte layout FLAC's MD5 signature is computed over. */
function interleavedLittleEndian(pcm: ReadonlyArray<Int32Array>, bits: number): Uint8Array {
  const width = Math.ceil(bits / 8)
  const frames = pcm[0]?.length ?? 0
  const out = new Uint8Array(frames * pcm.length * width)
  let pos = 0
  for (let i = 0; i < frames; i++) {
    for (const ch of pcm) {
      const v = ch[i] ?? 0
      for (let b = 0; b < width; b++) out[pos++] = (v >> (8 * b)) & 0xff
    }
  }
  return out
}

const MD5_SHIFTS = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6,
  10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]
const MD5_K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0)

/** RFC 1321 MD5 (Web Crypto's digest is async and lacks MD5 in some runtimes). */
export function md5(message: Uint8Array): Uint8Array {
  const padded = new Uint8Array((((message.length + 8) >> 6) + 1) * 64)
  padded.set(message)
  padded[message.length] = 0x80
  const view = new DataView(padded.buffer)
  const bitLength = message.length * 8
  view.setUint32(padded.length - 8, bitLength >>> 0, true)
  view.setUint32(padded.length - 4, Math.floor(bitLength / 2 ** 32), true)

  let a0 = 0x67452301
  let b0 = 0xefcdab89
  let c0 = 0x98badcfe
  let d0 = 0x10325476
  const m = new Uint32Array(16)
  for (let chunk = 0; chunk < padded.length; chunk += 64) {
    for (let i = 0; i < 16; i++) m[i] = view.getUint32(chunk + i * 4, true)
    let a = a0
    let b = b0
    let c = c0
    let d = d0
    for (let i = 0; i < 64; i++) {
      let f: number
      let g: number
      if (i < 16) {
        f = (b & c) | (~b & d)
        g = i
      } else if (i < 32) {
        f = (d & b) | (~d & c)
        g = (5 * i + 1) % 16
      } else if (i < 48) {
        f = b ^ c ^ d
        g = (3 * i + 5) % 16
      } else {
        f = c ^ (b | ~d)
        g = (7 * i) % 16
      }
      const sum = (a + f + (MD5_K[i] ?? 0) + (m[g] ?? 0)) >>> 0
      const s = MD5_SHIFTS[i] ?? 0
      a = d
      d = c
      c = b
      b = (b + ((sum << s) | (sum >>> (32 - s)))) >>> 0
    }
    a0 = (a0 + a) >>> 0
    b0 = (b0 + b) >>> 0
    c0 = (c0 + c) >>> 0
    d0 = (d0 + d) >>> 0
  }
  const out = new Uint8Array(16)
  const o = new DataView(out.buffer)
  o.setUint32(0, a0, true)
  o.setUint32(4, b0, true)
  o.setUint32(8, c0, true)
  o.setUint32(12, d0, true)
  return out
}

// ---------------------------------------------------------------------------
// PNG

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const b of bytes) {
    crc ^= b
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

function pngChunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, body.length, false)
  out.set(asciiBytes(type), 4)
  out.set(body, 8)
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)), false)
  return out
}

/** A valid 1x1 RGB PNG (the sort of file someone renames to .wav). */
export function makePng(): Uint8Array {
  const ihdr = new Uint8Array(13)
  const h = new DataView(ihdr.buffer)
  h.setUint32(0, 1, false) // width
  h.setUint32(4, 1, false) // height
  ihdr.set([8, 2, 0, 0, 0], 8) // 8-bit, truecolour, deflate, no filter, no interlace

  // zlib stream with one stored deflate block: filter byte 0 + one red pixel.
  const raw = Uint8Array.from([0, 0xff, 0, 0])
  let s1 = 1
  let s2 = 0
  for (const b of raw) {
    s1 = (s1 + b) % 65521
    s2 = (s2 + s1) % 65521
  }
  const idat = concatBytes([Uint8Array.from([0x78, 0x01, 0x01, raw.length, 0x00, ~raw.length & 0xff, 0xff]), raw, Uint8Array.from([s2 >> 8, s2 & 0xff, s1 >> 8, s1 & 0xff])])

  return concatBytes([Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))])
}
