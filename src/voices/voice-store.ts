import { notFound } from '../http/api-error'
import type { StreamedFile } from '../origin/multipart-body'
import { isValidId, voiceKey } from '../storage/keys'
import { sharedVoice } from './shared-voices'

export interface VoiceForSynthesis {
  voiceId: string
  /** Whose voice it is: the caller, or the owner of a published voice. */
  ownerKey: string
  promptText: string
  /** Opens the prompt audio for one origin attempt; the body streams from R2. */
  openPromptWav: () => Promise<StreamedFile>
}

/**
 * Finds a voice the caller may synthesize with: their own, or one an admin published
 * (shared-voices.ts). Someone else's unpublished voice is "not found", exactly like a voice that
 * does not exist: its existence is not revealed.
 */
export async function voiceForSynthesis(bucket: R2Bucket, callerKey: string, voiceId: string): Promise<VoiceForSynthesis> {
  if (!isValidId(voiceId)) throw notFound('voice')
  let ownerKey = callerKey
  let key = voiceKey(callerKey, voiceId)
  let head = await bucket.head(key)
  if (!head) {
    const shared = await sharedVoice(bucket, voiceId)
    if (!shared) throw notFound('voice')
    ownerKey = shared.ownerKey
    key = voiceKey(ownerKey, voiceId)
    head = await bucket.head(key)
  }
  if (!head) throw notFound('voice')
  const promptText = head.customMetadata?.prompt_text ?? ''
  const contentType = head.httpMetadata?.contentType ?? 'audio/wav'
  return {
    voiceId,
    ownerKey,
    promptText,
    openPromptWav: async () => {
      const object = await bucket.get(key)
      if (!object) throw notFound('voice')
      return { name: 'prompt_wav', filename: contentType === 'audio/flac' ? 'prompt.flac' : 'prompt.wav', contentType, size: object.size, body: object.body }
    },
  }
}
