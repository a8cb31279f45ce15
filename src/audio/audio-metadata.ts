import { pcmDurationSeconds, WAV_HEADER_BYTES, COSYVOICE_PCM } from '../codecs/wav-header'
import { sha256Hex } from '../codecs/hex'

/** The parts of a synthesis request an audio object records (synthesis/tts-request.ts has them all). */
export interface SynthesizedFrom {
  mode: string
  text: string
  voice_id?: string | undefined
  speaker?: string | undefined
}

/** What is stored with each audio object (R2 custom metadata) and how it is shown to its owner. */
export async function audioMetadata(input: { request: SynthesizedFrom; characters: number; requestId: string; sampleRate: number }): Promise<Record<string, string>> {
  const meta: Record<string, string> = {
    mode: input.request.mode,
    text_sha256: await sha256Hex(input.request.text),
    characters: String(input.characters),
    sample_rate: String(input.sampleRate),
    request_id: input.requestId,
    created: new Date().toISOString(),
  }
  if (input.request.voice_id) meta.voice_id = input.request.voice_id
  if (input.request.speaker) meta.speaker = input.request.speaker
  return meta
}

export interface AudioView {
  audio_id: string
  created: string | null
  mode: string | null
  speaker: string | null
  voice_id: string | null
  characters: number | null
  text_sha256: string | null
  sample_rate: number
  channels: number
  duration_seconds: number
  bytes: number
  request_id: string | null
  etag: string
  content_url: string
}

/**
 * The owner's view of an audio object. The duration comes from the object's size: the stored WAV's
 * length is only known once the recording completes, after its metadata was written.
 */
export function audioView(audioId: string, object: R2Object): AudioView {
  const m = object.customMetadata ?? {}
  const sampleRate = Number(m.sample_rate) || COSYVOICE_PCM.sampleRate
  return {
    audio_id: audioId,
    created: m.created ?? object.uploaded.toISOString(),
    mode: m.mode ?? null,
    speaker: m.speaker ?? null,
    voice_id: m.voice_id ?? null,
    characters: m.characters ? Number(m.characters) : null,
    text_sha256: m.text_sha256 ?? null,
    sample_rate: sampleRate,
    channels: 1,
    duration_seconds: Math.round(pcmDurationSeconds(Math.max(0, object.size - WAV_HEADER_BYTES), { ...COSYVOICE_PCM, sampleRate }) * 1000) / 1000,
    bytes: object.size,
    request_id: m.request_id ?? null,
    etag: object.httpEtag,
    content_url: `/v1/audio/${audioId}/content`,
  }
}
