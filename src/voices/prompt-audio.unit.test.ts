import { describe, expect, it } from 'vitest'
import { FLAC_FIXTURES } from '../../test/support/flac-fixtures'
import { makeFlac, makePng, makeWav } from '../../test/support/make-audio'
import { checkPromptAudioRules, checkPromptAudioSignal, DEFAULT_PROMPT_AUDIO_RULES, inspectPromptAudio, PromptAudioError, type PromptAudioInfo } from './prompt-audio'

function errorOf(fn: () => unknown): PromptAudioError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(PromptAudioError)
    return err as PromptAudioError
  }
  throw new Error('expected a PromptAudioError, nothing was thrown')
}

const inspectError = (bytes: Uint8Array) => errorOf(() => inspectPromptAudio(bytes))
const ruleError = (bytes: Uint8Array) => errorOf(() => checkPromptAudioRules(inspectPromptAudio(bytes)))

function patch(bytes: Uint8Array, edit: (view: DataView) => void): Uint8Array {
  const copy = bytes.slice()
  edit(new DataView(copy.buffer))
  return copy
}

/** Offset of a chunk's 8-byte header in a WAV file. */
function chunkOffset(bytes: Uint8Array, id: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = 12
  while (pos + 8 <= bytes.length) {
    const name = String.fromCharCode(...bytes.subarray(pos, pos + 4))
    if (name === id) return pos
    const size = view.getUint32(pos + 4, true)
    pos += 8 + size + (size & 1)
  }
  throw new Error(`no ${id} chunk`)
}

describe('inspectPromptAudio: WAV', () => {
  it.each([16000, 24000, 48000])('accepts %i Hz mono 16-bit PCM', (sampleRate) => {
    const info = inspectPromptAudio(makeWav({ sampleRate, seconds: 2 }))
    expect(info).toEqual<PromptAudioInfo>({
      format: 'wav',
      sampleRate,
      channels: 1,
      bitsPerSample: 16,
      encoding: 'pcm',
      durationSeconds: 2,
      frames: sampleRate * 2,
      audioOffset: 44,
    })
    expect(() => checkPromptAudioRules(info)).not.toThrow()
  })

  it('accepts stereo', () => {
    const info = inspectPromptAudio(makeWav({ channels: 2, seconds: 3 }))
    expect(info).toMatchObject({ channels: 2, frames: 72000, durationSeconds: 3, bitsPerSample: 16 })
  })

  it('accepts 24-bit and 32-bit PCM', () => {
    expect(inspectPromptAudio(makeWav({ bits: 24, seconds: 1.5 }))).toMatchObject({
      bitsPerSample: 24,
      encoding: 'pcm',
      frames: 36000,
      durationSeconds: 1.5,
    })
    expect(inspectPromptAudio(makeWav({ bits: 32, channels: 2 }))).toMatchObject({
      bitsPerSample: 32,
      encoding: 'pcm',
      channels: 2,
      frames: 48000,
    })
  })

  it('accepts 32-bit IEEE float', () => {
    expect(inspectPromptAudio(makeWav({ bits: 32, float: true }))).toMatchObject({
      bitsPerSample: 32,
      encoding: 'float',
      frames: 48000,
    })
  })

  it('accepts WAVE_FORMAT_EXTENSIBLE with PCM and float sub-formats', () => {
    expect(inspectPromptAudio(makeWav({ extensible: true, bits: 24, channels: 2 }))).toMatchObject({
      format: 'wav',
      encoding: 'pcm',
      bitsPerSample: 24,
      channels: 2,
      frames: 48000,
    })
    expect(inspectPromptAudio(makeWav({ extensible: true, bits: 32, float: true }))).toMatchObject({
      encoding: 'float',
      bitsPerSample: 32,
    })
  })

  it('rejects an extensible sub-format GUID that is not PCM or float', () => {
    const wav = makeWav({ extensible: true })
    const guid = chunkOffset(wav, 'fmt ') + 8 + 24
    expect(inspectError(patch(wav, (v) => v.setUint16(guid, 0x0011, true))).message).toMatch(/0x0011 \(IMA ADPCM\)/)
    const err = inspectError(patch(wav, (v) => v.setUint8(guid + 15, 0x00)))
    expect(err.code).toBe('invalid_audio')
    expect(err.message).toMatch(/sub-format/)
  })

  it('skips an odd-sized chunk before fmt using its pad byte', () => {
    const wav = makeWav({
      leadingChunks: [{ id: 'LIST', body: Uint8Array.from([1, 2, 3]) }],
    })
    // 12 (RIFF/WAVE) + 8 + 3 + 1 pad byte
    expect(chunkOffset(wav, 'fmt ')).toBe(24)
    expect(inspectPromptAudio(wav)).toMatchObject({ sampleRate: 24000, frames: 48000 })
  })

  it('ignores trailing bytes after the data chunk', () => {
    const wav = makeWav()
    const withTail = new Uint8Array(wav.length + 5)
    withTail.set(wav)
    expect(inspectPromptAudio(withTail).frames).toBe(48000)
  })

  it('rejects a data chunk that claims more audio than is present', () => {
    const wav = makeWav({ seconds: 2 })
    const err = inspectError(wav.subarray(0, wav.length - 1000))
    expect(err.code).toBe('invalid_audio')
    expect(err.message).toBe('WAV header claims 96000 bytes of audio but only 95000 are present')
  })

  it('rejects the 0xFFFFFFFF streaming data size', () => {
    const wav = makeWav()
    const data = chunkOffset(wav, 'data')
    const err = inspectError(patch(wav, (v) => v.setUint32(data + 4, 0xffffffff, true)))
    expect(err.code).toBe('invalid_audio')
    expect(err.message).toMatch(/streamed/)
    expect(inspectError(patch(wav, (v) => v.setUint32(4, 0xffffffff, true))).message).toMatch(/streamed/)
  })

  it('rejects a data size that is not a whole number of frames', () => {
    const wav = makeWav({ channels: 2 }) // blockAlign 4
    const data = chunkOffset(wav, 'data')
    const err = inspectError(patch(wav, (v) => v.setUint32(data + 4, 4 * 1000 + 2, true)))
    expect(err.message).toMatch(/not a multiple of the 4-byte block size/)
  })

  it('rejects a file truncated inside fmt', () => {
    const err = inspectError(makeWav().subarray(0, 12 + 8 + 10))
    expect(err.code).toBe('invalid_audio')
    expect(err.message).toMatch(/truncated inside the fmt chunk/)
  })

  it('rejects a file truncated inside the RIFF header or a chunk header', () => {
    expect(inspectError(makeWav().subarray(0, 8)).code).toBe('invalid_audio')
    expect(inspectError(makeWav().subarray(0, 16)).message).toMatch(/chunk header/)
  })

  it('rejects a missing fmt or data chunk', () => {
    const wav = makeWav()
    const fmt = chunkOffset(wav, 'fmt ')
    const data = chunkOffset(wav, 'data')
    // Rename fmt -> data-less junk: data then precedes any fmt.
    expect(inspectError(patch(wav, (v) => v.setUint32(fmt, 0x6a756e6b, false))).message).toMatch(/data chunk comes before the fmt chunk/)
    expect(inspectError(patch(wav, (v) => v.setUint32(data, 0x6a756e6b, false))).message).toBe('WAV file has no data chunk')
    const onlyHeader = patch(wav.slice(0, fmt), (v) => v.setUint32(4, 4, true))
    expect(inspectError(onlyHeader).message).toBe('WAV file has no fmt chunk')
  })

  it('rejects 8-bit PCM and unsupported codecs, naming them', () => {
    const eight = inspectError(makeWav({ bits: 8 }))
    expect(eight.code).toBe('invalid_audio')
    expect(eight.message).toMatch(/8 bits per sample/)

    const wav = makeWav()
    const tag = chunkOffset(wav, 'fmt ') + 8
    const adpcm = inspectError(patch(wav, (v) => v.setUint16(tag, 0x0011, true)))
    expect(adpcm.code).toBe('invalid_audio')
    expect(adpcm.message).toMatch(/WAV format 0x0011 \(IMA ADPCM\) is not supported/)

    expect(inspectError(makeWav({ bits: 64, float: true })).message).toMatch(/float with 64 bits/)
  })

  it('rejects more than two channels', () => {
    const err = inspectError(makeWav({ channels: 3 }))
    expect(err.message).toMatch(/3 channels/)
  })

  it('rejects an inconsistent blockAlign or byteRate', () => {
    const wav = makeWav()
    const fmt = chunkOffset(wav, 'fmt ') + 8
    expect(inspectError(patch(wav, (v) => v.setUint16(fmt + 12, 4, true))).message).toMatch(/block align is 4, expected 2/)
    expect(inspectError(patch(wav, (v) => v.setUint32(fmt + 8, 1234, true))).message).toMatch(/byte rate is 1234, expected 48000/)
  })

  it('rejects a WAV with no audio', () => {
    expect(inspectError(makeWav({ seconds: 0 })).message).toMatch(/no audio/)
  })
})

describe('inspectPromptAudio: FLAC', () => {
  it('reads STREAMINFO', () => {
    expect(inspectPromptAudio(makeFlac())).toEqual<PromptAudioInfo>({
      format: 'flac',
      sampleRate: 24000,
      channels: 1,
      bitsPerSample: 16,
      encoding: 'pcm',
      durationSeconds: 2,
      frames: 48000,
      audioOffset: 42,
    })
    expect(inspectPromptAudio(makeFlac({ sampleRate: 48000, channels: 2, bits: 24, seconds: 2.5 }))).toMatchObject({
      sampleRate: 48000,
      channels: 2,
      bitsPerSample: 24,
      frames: 120000,
    })
  })

  it('walks past further metadata blocks', () => {
    const flac = makeFlac({ paddingBytes: 100 })
    expect(inspectPromptAudio(flac).frames).toBe(48000)
    // Cut inside the padding block.
    expect(inspectError(flac.subarray(0, 4 + 38 + 4 + 50)).message).toBe('FLAC file ends inside its metadata')
  })

  it('rejects total samples 0 (unknown length)', () => {
    const flac = patch(makeFlac(), (v) => {
      v.setUint8(21, v.getUint8(21) & 0xf0)
      v.setUint32(22, 0, false)
    })
    const err = inspectError(flac)
    expect(err.code).toBe('invalid_audio')
    expect(err.message).toMatch(/FLAC stream does not state its length/)
  })

  it('reads all 36 bits of the total sample count', () => {
    const flac = patch(makeFlac(), (v) => v.setUint8(21, v.getUint8(21) | 0x01))
    expect(inspectPromptAudio(flac).frames).toBe(2 ** 32 + 48000)
  })

  it('rejects a file with metadata but no audio frames', () => {
    const flac = makeFlac()
    expect(inspectError(flac.subarray(0, 42)).message).toBe('FLAC file has no audio frames')
    const junk = flac.slice(0, 50)
    junk.fill(0, 42)
    expect(inspectError(junk).message).toMatch(/frame sync/)
  })

  it('rejects a file that ends inside metadata', () => {
    expect(inspectError(makeFlac().subarray(0, 4)).code).toBe('invalid_audio')
    expect(inspectError(makeFlac().subarray(0, 30)).message).toBe('FLAC file ends inside its metadata')
  })

  it('rejects a first block that is not STREAMINFO', () => {
    const flac = patch(makeFlac(), (v) => v.setUint8(4, 0x84))
    expect(inspectError(flac).message).toMatch(/STREAMINFO/)
  })

  it('rejects unsupported bit depths and channel counts', () => {
    expect(inspectError(makeFlac({ bits: 8 })).message).toMatch(/8 bits per sample/)
    expect(inspectError(makeFlac({ channels: 3 })).message).toMatch(/3 channels/)
  })
})

describe('inspectPromptAudio: not audio', () => {
  it('rejects a PNG as unsupported_media_type', () => {
    const err = inspectError(makePng())
    expect(err.code).toBe('unsupported_media_type')
    expect(err.message).toMatch(/expected a WAV or FLAC file/)
  })

  it('rejects empty input', () => {
    const err = inspectError(new Uint8Array(0))
    expect(err.code).toBe('unsupported_media_type')
    expect(err.message).toBe('expected a WAV or FLAC file, got an empty file')
  })

  it('rejects a RIFF file that is not WAVE', () => {
    const avi = patch(makeWav(), (v) => v.setUint32(8, 0x41564920, false)) // "AVI "
    expect(inspectError(avi).code).toBe('unsupported_media_type')
  })

  it('works on a view into a larger buffer', () => {
    const wav = makeWav()
    const big = new Uint8Array(wav.length + 20)
    big.set(wav, 10)
    expect(inspectPromptAudio(big.subarray(10, 10 + wav.length)).frames).toBe(48000)
  })
})

describe('checkPromptAudioRules', () => {
  it('names the sample rate when it is too low', () => {
    const err = ruleError(makeWav({ sampleRate: 8000 }))
    expect(err.code).toBe('invalid_audio')
    expect(err.message).toBe('sample rate 8000 Hz is below the minimum of 16000 Hz')
  })

  it('names the duration when it is too long', () => {
    const err = ruleError(makeWav({ seconds: 31 }))
    expect(err.code).toBe('invalid_audio')
    expect(err.message).toBe('duration 31.0 s is over the maximum of 30 s')
  })

  it('names the duration when it is too short', () => {
    const err = ruleError(makeWav({ seconds: 0.5 }))
    expect(err.message).toBe('duration 0.5 s is under the minimum of 1 s')
  })

  it('accepts exactly the limits and shows enough digits just past them', () => {
    expect(() => checkPromptAudioRules(inspectPromptAudio(makeWav({ seconds: 30 })))).not.toThrow()
    expect(() => checkPromptAudioRules(inspectPromptAudio(makeWav({ seconds: 1 })))).not.toThrow()
    expect(ruleError(makeWav({ seconds: 30.04, sampleRate: 16000 })).message).toBe('duration 30.04 s is over the maximum of 30 s')
  })

  it('applies to FLAC and to custom rules', () => {
    expect(ruleError(makeFlac({ seconds: 31 })).message).toMatch(/duration 31.0 s/)
    const info = inspectPromptAudio(makeWav({ seconds: 6 }))
    expect(() => checkPromptAudioRules(info, { ...DEFAULT_PROMPT_AUDIO_RULES, maxSeconds: 5 })).toThrow('duration 6.0 s is over the maximum of 5 s')
  })
})

/** A 16-bit mono WAV at 16 kHz whose samples are `sample(i)` (integers). */
function wavOf(seconds: number, sample: (i: number) => number, channels = 1): Uint8Array {
  const wav = makeWav({ sampleRate: 16000, seconds, channels })
  const view = new DataView(wav.buffer)
  const data = chunkOffset(wav, 'data') + 8
  for (let i = 0; i < seconds * 16000 * channels; i++) view.setInt16(data + 2 * i, sample(i), true)
  return wav
}

const signalError = (bytes: Uint8Array) => errorOf(() => checkPromptAudioSignal(bytes, inspectPromptAudio(bytes)))
const signalOk = (bytes: Uint8Array) => checkPromptAudioSignal(bytes, inspectPromptAudio(bytes))

/** The finding of issue 13: STREAMINFO claiming 10 s at 16 kHz, then two bytes of frame sync and nothing. */
function hollowFlac(): Uint8Array {
  const flac = makeFlac({ sampleRate: 16000, seconds: 10 }).slice(0, 44)
  expect(inspectPromptAudio(flac)).toMatchObject({ durationSeconds: 10 })
  return flac
}

describe('checkPromptAudioSignal: the audio is all there', () => {
  it('refuses the 44-byte FLAC whose header claims 10 s', () => {
    const flac = hollowFlac()
    expect(() => checkPromptAudioRules(inspectPromptAudio(flac))).not.toThrow()
    const err = signalError(flac)
    expect(err.code).toBe('invalid_audio')
    expect(err.message).toBe('FLAC audio ends after 0.00 s of the 10.00 s its header states')
  })

  it("accepts real encoders' FLAC, and ours", () => {
    for (const flac of [FLAC_FIXTURES.lpc16, FLAC_FIXTURES.fixed16, FLAC_FIXTURES.stereo24, FLAC_FIXTURES.wasted16, FLAC_FIXTURES.stereo16, makeFlac()]) {
      expect(() => signalOk(flac)).not.toThrow()
    }
  })

  it('refuses a WAV whose fact chunk claims more frames than its data holds', () => {
    const wav = makeWav({ bits: 32, float: true, seconds: 2 })
    const fact = chunkOffset(wav, 'fact') + 8
    const err = inspectError(patch(wav, (v) => v.setUint32(fact, 96000, true)))
    expect(err.message).toBe('WAV fact chunk states 96000 frames but the data chunk holds 48000')
  })

  it('refuses float samples that are not numbers', () => {
    const wav = makeWav({ bits: 32, float: true, seconds: 2 })
    const data = chunkOffset(wav, 'data') + 8
    expect(signalError(patch(wav, (v) => v.setFloat32(data + 400, Number.NaN, true))).message).toMatch(/finite/)
  })
})

describe('checkPromptAudioSignal: not silent', () => {
  it('refuses a silent WAV and a silent FLAC, saying so', () => {
    const message = 'the prompt is silent: every sample is zero (or constant)'
    expect(signalError(wavOf(2, () => 0)).message).toBe(message)
    expect(signalError(FLAC_FIXTURES.silent16).message).toBe(message)
    // A constant offset is no sound either.
    expect(signalError(wavOf(2, () => 3000)).message).toBe(message)
  })

  it('refuses a near-silent prompt (hiss, dither), naming its level', () => {
    const hiss = wavOf(2, (i) => ((i * 7919) % 9) - 4)
    expect(signalError(hiss).message).toMatch(/^the prompt is near-silent: its loudest moment is -\d+\.\d dBFS, below the -50 dBFS a voice needs$/)
    expect(signalError(FLAC_FIXTURES.hiss16).message).toMatch(/near-silent: its loudest moment is -8\d\.\d dBFS/)
  })

  it('hears one short phrase in a long quiet prompt', () => {
    // 3 s of near-silence with 100 ms of a tone in the middle.
    const wav = wavOf(3, (i) => (i > 24000 && i < 25600 ? Math.round(8000 * Math.sin(i / 5)) : (i % 3) - 1))
    expect(() => signalOk(wav)).not.toThrow()
  })

  it('hears what the origin hears: a stereo prompt whose channels cancel out is silent', () => {
    const wav = wavOf(2, (i) => (i % 2 ? -1 : 1) * Math.round(8000 * Math.sin(Math.floor(i / 2) / 5)), 2)
    expect(signalError(wav).message).toMatch(/silent/)
  })

  it('measures every encoding at its own scale', () => {
    for (const wav of [makeWav({ bits: 24 }), makeWav({ bits: 32 }), makeWav({ bits: 32, float: true }), makeWav({ channels: 2 })]) {
      expect(() => signalOk(wav)).not.toThrow()
    }
    const quiet = makeWav({ bits: 24 })
    const data = chunkOffset(quiet, 'data') + 8
    const view = new DataView(quiet.buffer)
    // Every 24-bit sample scaled down by 2^12 (about -72 dB): still there, but near-silent.
    for (let at = data; at + 3 <= quiet.length; at += 3) {
      const v = ((view.getInt8(at + 2) << 16) | view.getUint16(at, true)) >> 12
      view.setUint16(at, v & 0xffff, true)
      view.setInt8(at + 2, v >> 16)
    }
    expect(signalError(quiet).message).toMatch(/near-silent/)
  })

  it('takes a quieter threshold from the rules', () => {
    const hiss = wavOf(2, (i) => ((i * 7919) % 9) - 4)
    expect(() => checkPromptAudioSignal(hiss, inspectPromptAudio(hiss), { ...DEFAULT_PROMPT_AUDIO_RULES, minLoudestDbfs: -90 })).not.toThrow()
  })
})

describe('checkPromptAudioRules: sample rate ceiling', () => {
  it('refuses more than 96 kHz', () => {
    expect(ruleError(makeWav({ sampleRate: 192000, seconds: 1 })).message).toBe('sample rate 192000 Hz is above the maximum of 96000 Hz')
  })
})
