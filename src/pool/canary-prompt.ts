import { WAV_HEADER_BYTES, wavHeader } from '../codecs/wav-header'

const SAMPLE_RATE = 16_000
const SECONDS = 1.5
const SYLLABLES_PER_SECOND = 4

let cached: Uint8Array | undefined

/**
 * The voice prompt of `cross_lingual` canaries: 1.5 s of 16 kHz mono 16-bit WAV, a voiced sound
 * (harmonics of a gliding 120-180 Hz pitch) in syllable-like bursts. What the stock server needs
 * of a prompt (docs/ORIGIN-PROTOCOL.md): WAV, at least 16 kHz, at most 30 s, something to take speech tokens
 * from. Generated, so no audio file ships with the Worker.
 */
export function canaryPromptWav(): Uint8Array {
  if (cached) return cached
  const frames = Math.round(SAMPLE_RATE * SECONDS)
  const wav = new Uint8Array(WAV_HEADER_BYTES + frames * 2)
  wav.set(wavHeader({ sampleRate: SAMPLE_RATE, channels: 1, bitsPerSample: 16 }, frames * 2))
  const view = new DataView(wav.buffer)
  let phase = 0
  for (let i = 0; i < frames; i++) {
    const t = i / SAMPLE_RATE
    phase += (2 * Math.PI * (120 + 60 * (t / SECONDS))) / SAMPLE_RATE
    const envelope = Math.max(0, Math.sin(Math.PI * SYLLABLES_PER_SECOND * t)) ** 2
    let sample = 0
    for (let harmonic = 1; harmonic <= 8; harmonic++) sample += Math.sin(harmonic * phase) / harmonic
    view.setInt16(WAV_HEADER_BYTES + i * 2, Math.round(sample * envelope * 6000), true)
  }
  cached = wav
  return wav
}
