import type { PromptAudioInfo } from './prompt-audio'

/** The stored object's Content-Type for each accepted prompt format. */
export const PROMPT_CONTENT_TYPES: Record<PromptAudioInfo['format'], string> = {
  wav: 'audio/wav',
  flac: 'audio/flac',
}

/**
 * What is stored with a voice in R2 custom metadata (2 KB in all): its name and what the audio is.
 * The transcript is kept in the owner's Durable Object instead (voice-transcripts.ts).
 */
export function voiceMetadata(input: { name: string; info: PromptAudioInfo }): Record<string, string> {
  const { info } = input
  return {
    name: input.name,
    format: info.format,
    sample_rate: String(info.sampleRate),
    channels: String(info.channels),
    bits_per_sample: String(info.bitsPerSample),
    encoding: info.encoding,
    duration: String(Math.round(info.durationSeconds * 1000) / 1000),
    created: new Date().toISOString(),
  }
}

export interface VoiceView {
  voice_id: string
  name: string | null
  prompt_text: string | null
  format: string | null
  sample_rate: number | null
  channels: number | null
  duration_seconds: number | null
  bytes: number
  created: string
  etag: string
  content_url: string
}

/**
 * The owner's view of a voice. `transcript` from the owner's Durable Object; a voice stored before
 * transcripts moved there still has its own in the metadata.
 */
export function voiceView(voiceId: string, object: R2Object, transcript: string | undefined): VoiceView {
  const m = object.customMetadata ?? {}
  const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v))
  return {
    voice_id: voiceId,
    name: m.name ?? null,
    prompt_text: transcript ?? m.prompt_text ?? null,
    format: m.format ?? null,
    sample_rate: num(m.sample_rate),
    channels: num(m.channels),
    duration_seconds: num(m.duration),
    bytes: object.size,
    created: m.created ?? object.uploaded.toISOString(),
    etag: object.httpEtag,
    content_url: `/v1/voices/${voiceId}/content`,
  }
}

/** The download name of a voice's prompt audio. */
export function promptFilename(voiceId: string, object: R2Object): string {
  return `${voiceId}.${object.customMetadata?.format === 'flac' ? 'flac' : 'wav'}`
}
