import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FLAC_FIXTURES } from '../../test/support/flac-fixtures'
import { makeFlac, md5 } from '../../test/support/make-audio'
import { decodeFlacFrames } from './flac-frames'
import { inspectPromptAudio, PromptAudioError } from './prompt-audio'

/** Decodes a whole file and returns the MD5 of its samples as FLAC's STREAMINFO computes it. */
function decodedMd5(bytes: Uint8Array): { md5: string; stated: string; samples: number } {
  const info = inspectPromptAudio(bytes)
  const width = info.bitsPerSample / 8
  const out: number[] = []
  let samples = 0
  decodeFlacFrames(bytes, info.audioOffset, { ...info, totalSamples: info.frames }, (channels, length) => {
    for (let i = 0; i < length; i++) for (const ch of channels) for (let b = 0; b < width; b++) out.push((ch[i]! >> (8 * b)) & 0xff)
    samples += length
  })
  const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return { md5: hex(md5(Uint8Array.from(out))), stated: hex(bytes.subarray(26, 42)), samples }
}

function decodeError(bytes: Uint8Array): PromptAudioError {
  const info = inspectPromptAudio(bytes)
  try {
    decodeFlacFrames(bytes, info.audioOffset, { ...info, totalSamples: info.frames }, () => {})
  } catch (e) {
    expect(e).toBeInstanceOf(PromptAudioError)
    return e as PromptAudioError
  }
  throw new Error('decoded without an error')
}

describe('decodeFlacFrames', () => {
  it.each(Object.keys(FLAC_FIXTURES) as (keyof typeof FLAC_FIXTURES)[])("decodes the reference encoder's %s bit-exactly (STREAMINFO MD5)", (name) => {
    const bytes = FLAC_FIXTURES[name]
    const { md5: actual, stated, samples } = decodedMd5(bytes)
    expect(actual).toBe(stated)
    expect(samples).toBe(inspectPromptAudio(bytes).frames)
  })

  it("decodes the test encoder's VERBATIM frames too", () => {
    for (const flac of [makeFlac(), makeFlac({ channels: 2, bits: 24, sampleRate: 48000, seconds: 0.3 }), makeFlac({ paddingBytes: 10 })]) {
      const { md5: actual, stated } = decodedMd5(flac)
      expect(actual).toBe(stated)
    }
  })

  it('refuses frames that end before the stated length, saying how much is there', () => {
    const whole = FLAC_FIXTURES.lpc16
    expect(decodeError(whole.subarray(0, Math.floor(whole.length / 2))).message).toMatch(/^FLAC audio ends after 0\.\d\d s of the 1\.20 s its header states$/)
  })

  it('refuses a frame whose bytes were changed (CRC)', () => {
    const corrupt = FLAC_FIXTURES.lpc16.slice()
    corrupt[corrupt.length - 100] = corrupt[corrupt.length - 100]! ^ 0x10
    expect(decodeError(corrupt).message).toMatch(/FLAC frame \d+ (is corrupt|has)/)
  })

  it('refuses frames holding more samples than the header states', () => {
    const bytes = FLAC_FIXTURES.fixed16.slice()
    const info = inspectPromptAudio(bytes)
    // STREAMINFO total samples (36 bits from byte 21's low nibble): one less than the frames hold.
    new DataView(bytes.buffer).setUint32(22, info.frames - 1, false)
    expect(decodeError(bytes).message).toMatch(/more samples than the \d+ its header states/)
  })

  it('refuses a frame that contradicts STREAMINFO', () => {
    // STREAMINFO says 16 kHz; the frames say 44.1 kHz.
    const bytes = FLAC_FIXTURES.stereo16.slice()
    const view = new DataView(bytes.buffer)
    view.setUint8(18, 0x03)
    view.setUint8(19, 0xe8)
    view.setUint8(20, (view.getUint8(20) & 0x0f) | 0x00)
    expect(decodeError(bytes).message).toMatch(/at 44100 Hz, the header says 16000 Hz/)
  })

  it('throws nothing but PromptAudioError, whatever the bytes of the frames', () => {
    const base = FLAC_FIXTURES.stereo16
    const first = inspectPromptAudio(base).audioOffset
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: first, max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: first, max: base.length }),
        (edits, cut) => {
          const bytes = base.slice(0, cut)
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value
          try {
            decodeFlacFrames(bytes, first, { ...inspectPromptAudio(base), totalSamples: inspectPromptAudio(base).frames }, () => {})
          } catch (e) {
            if (!(e instanceof PromptAudioError)) throw e
          }
        },
      ),
      { numRuns: 300, seed: 13 },
    )
  })
})
