import { LevelMeter } from './audio-level'
import { decodeFlacFrames } from './flac-frames'
import { invalidAudio, PromptAudioError } from './prompt-audio-error'

/**
 * Validation of uploaded voice-prompt audio before it is stored or forwarded
 * to the CosyVoice3 origin. The origin decodes with soundfile (libsndfile),
 * so we accept what it reads reliably: WAV (PCM 16/24/32-bit, IEEE float 32)
 * and FLAC (16/24-bit), mono or stereo. Three steps, cheapest first:
 * inspectPromptAudio (the header), checkPromptAudioRules (the origin's limits),
 * checkPromptAudioSignal (the audio itself: all there, and not silent).
 *
 * Everything here is a pure function over the uploaded bytes (no Node APIs):
 * it runs in workerd.
 */

export interface PromptAudioInfo {
  format: 'wav' | 'flac'
  sampleRate: number
  channels: number
  bitsPerSample: number
  encoding: 'pcm' | 'float'
  durationSeconds: number
  frames: number
  /** Where the audio starts: the WAV data chunk's first byte, or the first FLAC frame. */
  audioOffset: number
}

export { PromptAudioError, type PromptAudioErrorCode } from './prompt-audio-error'

export interface PromptAudioRules {
  minSampleRate: number
  maxSampleRate: number
  maxSeconds: number
  minSeconds: number
  /** The loudest 50 ms must reach this level (dBFS, audio-level.ts), or the prompt is near-silent. */
  minLoudestDbfs: number
}

/**
 * CosyVoice3 needs >= 16 kHz and at most 30 s; under 1 s is too little to clone from. Above 96 kHz
 * nothing is gained (the origin resamples to 16 kHz) and checking the audio costs more CPU.
 */
export const DEFAULT_PROMPT_AUDIO_RULES: Readonly<PromptAudioRules> = Object.freeze({
  minSampleRate: 16000,
  maxSampleRate: 96000,
  maxSeconds: 30,
  minSeconds: 1,
  minLoudestDbfs: -50,
})

const MAX_CHANNELS = 2

const invalid = invalidAudio

function ascii(view: DataView, offset: number, length: number): string {
  let s = ''
  for (let i = 0; i < length; i++) s += String.fromCharCode(view.getUint8(offset + i))
  return s
}

/** Printable form of a four-character code for error messages. */
function fourcc(view: DataView, offset: number): string {
  return JSON.stringify(ascii(view, offset, 4).replace(/[^\x20-\x7e]/g, '?'))
}

function hex16(value: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(4, '0')}`
}

/**
 * Identifies and parses a WAV or FLAC voice prompt.
 * @throws PromptAudioError `unsupported_media_type` if the bytes are neither
 *   WAV nor FLAC, `invalid_audio` if they are but are malformed or unsupported.
 */
export function inspectPromptAudio(bytes: Uint8Array): PromptAudioInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const magic = bytes.byteLength >= 4 ? ascii(view, 0, 4) : ''

  if (magic === 'RIFF') {
    if (bytes.byteLength < 12) throw invalid('WAV file is truncated inside the RIFF header')
    if (ascii(view, 8, 4) === 'WAVE') return inspectWav(view)
  } else if (magic === 'fLaC') {
    return inspectFlac(view)
  }

  const what = bytes.byteLength === 0 ? 'an empty file' : 'something else'
  throw new PromptAudioError('unsupported_media_type', `expected a WAV or FLAC file, got ${what}`)
}

// ---------------------------------------------------------------------------
// WAV

const WAVE_FORMAT_PCM = 0x0001
const WAVE_FORMAT_IEEE_FLOAT = 0x0003
const WAVE_FORMAT_EXTENSIBLE = 0xfffe

const WAVE_FORMAT_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'A-law',
  0x0007: 'mu-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MPEG Layer 3',
}

/** Bytes 2..15 shared by every KSDATAFORMAT_SUBTYPE_* GUID; bytes 0..1 carry the format tag. */
const KSDATAFORMAT_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]

interface WavFormat {
  encoding: 'pcm' | 'float'
  channels: number
  sampleRate: number
  bitsPerSample: number
  blockAlign: number
}

function inspectWav(view: DataView): PromptAudioInfo {
  const fileLength = view.byteLength
  const riffSize = view.getUint32(4, true)
  if (riffSize === 0xffffffff || riffSize === 0) {
    throw invalid('WAV RIFF size is not set (streamed WAV); re-save the file')
  }
  if (riffSize < 4) throw invalid(`WAV RIFF size ${riffSize} is too small`)
  // Chunks are only looked for inside the RIFF body; anything appended after it is ignored.
  const riffEnd = Math.min(8 + riffSize, fileLength)

  let format: WavFormat | undefined
  // Frames a `fact` chunk states (non-PCM WAVs carry one): the data must hold at least that many.
  let factFrames: number | undefined
  let pos = 12
  while (pos + 8 <= riffEnd) {
    const id = ascii(view, pos, 4)
    const size = view.getUint32(pos + 4, true)
    const body = pos + 8

    if (id === 'fmt ') {
      if (format) throw invalid('WAV file has more than one fmt chunk')
      if (body + size > fileLength) throw invalid('WAV file is truncated inside the fmt chunk')
      format = parseWavFormat(view, body, size)
    } else if (id === 'fact' && size >= 4 && body + 4 <= fileLength) {
      factFrames = view.getUint32(body, true)
    } else if (id === 'data') {
      if (!format) throw invalid('WAV data chunk comes before the fmt chunk')
      if (size === 0xffffffff) {
        throw invalid('WAV data size is not set (streamed WAV); re-save the file')
      }
      const present = fileLength - body
      if (size > present) {
        throw invalid(`WAV header claims ${size} bytes of audio but only ${present} are present`)
      }
      if (size % format.blockAlign !== 0) {
        throw invalid(`WAV data size ${size} is not a multiple of the ${format.blockAlign}-byte block size`)
      }
      const frames = size / format.blockAlign
      if (frames === 0) throw invalid('WAV file contains no audio')
      if (factFrames !== undefined && factFrames > frames) {
        throw invalid(`WAV fact chunk states ${factFrames} frames but the data chunk holds ${frames}`)
      }
      return {
        format: 'wav',
        sampleRate: format.sampleRate,
        channels: format.channels,
        bitsPerSample: format.bitsPerSample,
        encoding: format.encoding,
        durationSeconds: frames / format.sampleRate,
        frames,
        audioOffset: body,
      }
    } else if (body + size > fileLength) {
      throw invalid(`WAV file is truncated inside the ${fourcc(view, pos)} chunk`)
    }

    // RIFF chunks are word-aligned: an odd-sized chunk is followed by one pad byte.
    pos = body + size + (size & 1)
  }

  if (pos < riffEnd) throw invalid('WAV file is truncated inside a chunk header')
  if (!format) throw invalid('WAV file has no fmt chunk')
  throw invalid('WAV file has no data chunk')
}

function parseWavFormat(view: DataView, at: number, size: number): WavFormat {
  if (size < 16) throw invalid(`WAV fmt chunk is ${size} bytes, expected at least 16`)

  let formatTag = view.getUint16(at, true)
  const channels = view.getUint16(at + 2, true)
  const sampleRate = view.getUint32(at + 4, true)
  const byteRate = view.getUint32(at + 8, true)
  const blockAlign = view.getUint16(at + 12, true)
  const bitsPerSample = view.getUint16(at + 14, true)

  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) subFormat GUID(16).
    if (size < 40 || view.getUint16(at + 16, true) < 22) {
      throw invalid('WAV extensible fmt chunk is too short for its sub-format')
    }
    const guid = at + 24
    for (let i = 0; i < KSDATAFORMAT_GUID_TAIL.length; i++) {
      if (view.getUint8(guid + 2 + i) !== KSDATAFORMAT_GUID_TAIL[i]) {
        throw invalid('WAV extensible sub-format is not a known audio format')
      }
    }
    formatTag = view.getUint16(guid, true)
    const validBits = view.getUint16(at + 18, true)
    if (validBits > bitsPerSample) {
      throw invalid(`WAV claims ${validBits} valid bits in a ${bitsPerSample}-bit sample`)
    }
  }

  let encoding: 'pcm' | 'float'
  if (formatTag === WAVE_FORMAT_PCM) {
    if (bitsPerSample !== 16 && bitsPerSample !== 24 && bitsPerSample !== 32) {
      throw invalid(`WAV PCM with ${bitsPerSample} bits per sample is not supported (use 16, 24 or 32)`)
    }
    encoding = 'pcm'
  } else if (formatTag === WAVE_FORMAT_IEEE_FLOAT) {
    if (bitsPerSample !== 32) {
      throw invalid(`WAV float with ${bitsPerSample} bits per sample is not supported (use 32)`)
    }
    encoding = 'float'
  } else {
    const name = WAVE_FORMAT_NAMES[formatTag]
    throw invalid(`WAV format ${hex16(formatTag)}${name ? ` (${name})` : ''} is not supported; use PCM or 32-bit float`)
  }

  if (channels === 0 || channels > MAX_CHANNELS) {
    throw invalid(`WAV has ${channels} channels; only mono or stereo is supported`)
  }
  if (sampleRate === 0) throw invalid('WAV sample rate is 0')

  const expectedBlockAlign = (channels * bitsPerSample) / 8
  if (blockAlign !== expectedBlockAlign) {
    throw invalid(`WAV block align is ${blockAlign}, expected ${expectedBlockAlign}`)
  }
  if (byteRate !== sampleRate * blockAlign) {
    throw invalid(`WAV byte rate is ${byteRate}, expected ${sampleRate * blockAlign}`)
  }

  return { encoding, channels, sampleRate, bitsPerSample, blockAlign }
}

// ---------------------------------------------------------------------------
// FLAC

const FLAC_STREAMINFO = 0
const FLAC_STREAMINFO_LENGTH = 34
const FLAC_INVALID_BLOCK_TYPE = 127

function inspectFlac(view: DataView): PromptAudioInfo {
  const fileLength = view.byteLength
  const ends = () => invalid('FLAC file ends inside its metadata')

  if (fileLength < 8) throw ends()
  const firstHeader = view.getUint32(4, false)
  if (((firstHeader >>> 24) & 0x7f) !== FLAC_STREAMINFO || (firstHeader & 0xffffff) !== FLAC_STREAMINFO_LENGTH) {
    throw invalid('FLAC file does not start with a 34-byte STREAMINFO block')
  }
  if (fileLength < 8 + FLAC_STREAMINFO_LENGTH) throw ends()

  // STREAMINFO bit layout after min/max block size (2+2) and min/max frame size (3+3):
  // sample rate (20) | channels-1 (3) | bits-1 (5) | total samples (36) | MD5 (128)
  const si = 8
  const b10 = view.getUint8(si + 10)
  const b11 = view.getUint8(si + 11)
  const b12 = view.getUint8(si + 12)
  const b13 = view.getUint8(si + 13)
  const sampleRate = (b10 << 12) | (b11 << 4) | (b12 >> 4)
  const channels = ((b12 >> 1) & 0x07) + 1
  const bitsPerSample = (((b12 & 0x01) << 4) | (b13 >> 4)) + 1
  // 36-bit count: stays exact as a double (< 2^53).
  const frames = (b13 & 0x0f) * 0x100000000 + view.getUint32(si + 14, false)

  if (sampleRate === 0) throw invalid('FLAC sample rate is 0')
  if (channels > MAX_CHANNELS) {
    throw invalid(`FLAC has ${channels} channels; only mono or stereo is supported`)
  }
  // libsndfile's FLAC reader only handles 8, 16 and 24 bits; 8-bit is refused for quality as in WAV.
  if (bitsPerSample !== 16 && bitsPerSample !== 24) {
    throw invalid(`FLAC with ${bitsPerSample} bits per sample is not supported (use 16 or 24)`)
  }
  if (frames === 0) throw invalid('FLAC stream does not state its length (total samples is 0)')

  let pos = 4
  let isLast = false
  let isFirst = true
  while (!isLast) {
    if (pos + 4 > fileLength) throw ends()
    const header = view.getUint32(pos, false)
    isLast = (header & 0x80000000) !== 0
    const type = (header >>> 24) & 0x7f
    const length = header & 0xffffff
    if (type === FLAC_INVALID_BLOCK_TYPE) throw invalid('FLAC metadata block has an invalid type')
    if (!isFirst && type === FLAC_STREAMINFO) throw invalid('FLAC file has more than one STREAMINFO')
    pos += 4 + length
    if (pos > fileLength) throw ends()
    isFirst = false
  }

  // An audio frame starts with the 14-bit sync code 0b11111111111110.
  if (pos + 2 > fileLength) throw invalid('FLAC file has no audio frames')
  if (view.getUint8(pos) !== 0xff || (view.getUint8(pos + 1) & 0xfe) !== 0xf8) {
    throw invalid('FLAC audio does not start with a frame sync code')
  }

  return {
    format: 'flac',
    sampleRate,
    channels,
    bitsPerSample,
    encoding: 'pcm',
    durationSeconds: frames / sampleRate,
    frames,
    audioOffset: pos,
  }
}

// ---------------------------------------------------------------------------
// Rules

/**
 * Formats seconds with one decimal, adding digits when one decimal would
 * round onto the limit (e.g. 30.04 s must not read "30.0 s is over 30 s").
 */
function formatSeconds(value: number, limit: number): string {
  for (let digits = 1; digits < 6; digits++) {
    const text = value.toFixed(digits)
    if (Number(text) !== limit) return text
  }
  return value.toFixed(6)
}

/**
 * Applies the origin's limits to parsed prompt audio.
 * @throws PromptAudioError `invalid_audio` naming the broken rule and the actual value.
 */
export function checkPromptAudioRules(info: PromptAudioInfo, rules: PromptAudioRules = DEFAULT_PROMPT_AUDIO_RULES): void {
  if (info.sampleRate < rules.minSampleRate) {
    throw invalid(`sample rate ${info.sampleRate} Hz is below the minimum of ${rules.minSampleRate} Hz`)
  }
  if (info.sampleRate > rules.maxSampleRate) {
    throw invalid(`sample rate ${info.sampleRate} Hz is above the maximum of ${rules.maxSampleRate} Hz`)
  }
  if (info.durationSeconds > rules.maxSeconds) {
    const actual = formatSeconds(info.durationSeconds, rules.maxSeconds)
    throw invalid(`duration ${actual} s is over the maximum of ${rules.maxSeconds} s`)
  }
  if (info.durationSeconds < rules.minSeconds) {
    const actual = formatSeconds(info.durationSeconds, rules.minSeconds)
    throw invalid(`duration ${actual} s is under the minimum of ${rules.minSeconds} s`)
  }
}

// ---------------------------------------------------------------------------
// The audio itself

/**
 * Reads the audio the header describes, after checkPromptAudioRules has bounded its length: every
 * FLAC frame is decoded and CRC-checked until the stated number of samples is reached (a WAV's data
 * chunk is already known to hold its stated length), and the loudest moment of the mono mix (the
 * origin averages the channels too) must reach `rules.minLoudestDbfs`.
 * @throws PromptAudioError `invalid_audio`: audio missing or corrupt, or a (near-)silent prompt.
 */
export function checkPromptAudioSignal(bytes: Uint8Array, info: PromptAudioInfo, rules: PromptAudioRules = DEFAULT_PROMPT_AUDIO_RULES): void {
  const meter = new LevelMeter(info.sampleRate)
  if (info.format === 'flac') {
    const scale = 1 / (2 ** (info.bitsPerSample - 1) * info.channels)
    decodeFlacFrames(bytes, info.audioOffset, { ...info, totalSamples: info.frames }, (channels, length) => {
      const [first, second] = channels
      if (second) for (let i = 0; i < length; i++) meter.add((first![i]! + second[i]!) * scale)
      else for (let i = 0; i < length; i++) meter.add(first![i]! * scale)
    })
  } else {
    measureWav(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), info, meter)
  }
  const loudest = meter.loudestDbfs()
  if (loudest === -Infinity) throw invalid('the prompt is silent: every sample is zero (or constant)')
  if (loudest < rules.minLoudestDbfs) {
    throw invalid(`the prompt is near-silent: its loudest moment is ${loudest.toFixed(1)} dBFS, below the ${rules.minLoudestDbfs} dBFS a voice needs`)
  }
}

function measureWav(view: DataView, info: PromptAudioInfo, meter: LevelMeter): void {
  const bytesPerSample = info.bitsPerSample / 8
  const read = wavSampleReader(view, info)
  const scale = 1 / info.channels
  let pos = info.audioOffset
  for (let frame = 0; frame < info.frames; frame++) {
    let mix = 0
    for (let c = 0; c < info.channels; c++, pos += bytesPerSample) mix += read(pos)
    if (!Number.isFinite(mix)) throw invalid('WAV float samples must be finite numbers')
    meter.add(mix * scale)
  }
}

/** A reader of one sample at a byte offset, normalised to [-1, 1]. */
function wavSampleReader(view: DataView, info: PromptAudioInfo): (at: number) => number {
  if (info.encoding === 'float') return (at) => view.getFloat32(at, true)
  switch (info.bitsPerSample) {
    case 16:
      return (at) => view.getInt16(at, true) / 0x8000
    case 24:
      return (at) => ((view.getInt8(at + 2) << 16) | view.getUint16(at, true)) / 0x800000
    default:
      return (at) => view.getInt32(at, true) / 0x80000000
  }
}
