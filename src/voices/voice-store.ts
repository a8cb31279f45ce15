import { notFound } from '../http/api-error'
import type { StreamedFile } from '../origin/multipart-body'
import { isValidId, voiceKey } from '../storage/keys'

export interface VoiceForSynthesis {
  voiceId: string
  promptText: string
  /** Opens the prompt audio for one origin attempt; the body streams from R2. */
  openPromptWav: () => Promise<StreamedFile>
}

/**
 * Finds a voice the caller may synthesize with. Someone else's voice is "not found", exactly like a
 * voice that does not exist: its existence is not revealed.
 */
export async function voiceForSynthesis(bucket: R2Bucket, ownerKey: string, voiceId: string): Promise<VoiceForSynthesis> {
  if (!isValidId(voiceId)) throw notFound('voice')
  const key = voiceKey(ownerKey, voiceId)
  const head = await bucket.head(key)
  if (!head) throw notFound('voice')
  const promptText = head.customMetadata?.prompt_text ?? ''
  const contentType = head.httpMetadata?.contentType ?? 'audio/wav'
  return {
    voiceId,
    promptText,
    openPromptWav: async () => {
      const object = await bucket.get(key)
      if (!object) throw notFound('voice')
      return { name: 'prompt_wav', filename: contentType === 'audio/flac' ? 'prompt.flac' : 'prompt.wav', contentType, size: object.size, body: object.body }
    },
  }
}
