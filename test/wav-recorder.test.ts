import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { COSYVOICE_PCM } from '../src/codecs/wav-header'
import { PART_BYTES, WavRecorder } from '../src/storage/wav-recorder'
import { listKeys } from './support/api'
import { readWavHeader, sha256 } from './support/wav'

/** Deterministic PCM of `bytes` bytes, handed over in uneven chunks as a network would. */
function* chunksOf(bytes: number): Generator<Uint8Array> {
  let sent = 0
  let i = 0
  while (sent < bytes) {
    const size = Math.min(bytes - sent, 1 + ((i * 7919) % 200_000) * 2)
    const chunk = new Uint8Array(size)
    for (let j = 0; j < size; j++) chunk[j] = (sent + j) * 31
    yield chunk
    sent += size
    i++
  }
}

async function record(key: string, pcmBytes: number): Promise<{ object: R2Object; expected: string }> {
  const recorder = new WavRecorder({ bucket: env.AUDIO, key, format: COSYVOICE_PCM })
  const all = new Uint8Array(pcmBytes)
  let offset = 0
  for (const chunk of chunksOf(pcmBytes)) {
    all.set(chunk, offset)
    offset += chunk.length
    await recorder.write(chunk)
  }
  return { object: await recorder.finish(), expected: await sha256(all) }
}

describe('WavRecorder', () => {
  for (const [name, pcmBytes] of [
    ['a short recording (one put)', 100_000],
    ['exactly one part', PART_BYTES - 44],
    ['three and a half parts (multipart, buffers taking turns)', Math.floor(3.5 * PART_BYTES)],
  ] as const) {
    it(`stores ${name} as a complete WAV with the true length`, async () => {
      const key = `test/recorder/${crypto.randomUUID()}.wav`
      const { object, expected } = await record(key, pcmBytes)
      expect(object.size).toBe(44 + pcmBytes)
      const stored = new Uint8Array(await (await env.AUDIO.get(key))!.arrayBuffer())
      expect(readWavHeader(stored)).toMatchObject({ riff: 'RIFF', dataSize: pcmBytes, riffSize: 36 + pcmBytes, sampleRate: 24000 })
      expect(await sha256(stored.subarray(44))).toBe(expected)
    })
  }

  it('leaves nothing in the bucket when aborted mid-way', async () => {
    const key = `test/recorder/${crypto.randomUUID()}.wav`
    const recorder = new WavRecorder({ bucket: env.AUDIO, key, format: COSYVOICE_PCM })
    for (const chunk of chunksOf(2 * PART_BYTES + 1000)) await recorder.write(chunk)
    await recorder.abort()
    expect(await listKeys(env.AUDIO, key)).toEqual([])
  })
})
