import type { Env } from '../env'
import { notFound } from '../http/api-error'
import type { StreamedFile } from '../origin/multipart-body'
import { isValidId, voiceKey } from '../storage/keys'
import { refuseByNotice } from '../users/takedown-check'
import { userObjectByKey } from '../users/user-stub'
import { sharedVoice } from './shared-voices'

export interface VoiceForSynthesis {
  voiceId: string
  /** Whose voice it is: the caller, or the owner of a published voice. */
  ownerKey: string
  /** The voice's transcript, when asked for (zero_shot needs it; the other modes do not). */
  promptText: string
  /** Opens the prompt audio for one origin attempt; the body streams from R2. */
  openPromptWav: () => Promise<StreamedFile>
}

/**
 * Finds a voice the caller may synthesize with: their own, or one an admin published
 * (shared-voices.ts). Someone else's unpublished voice is "not found", exactly like a voice that
 * does not exist: its existence is not revealed. The transcript lives in the owner's Durable
 * Object (users/voice-transcripts.ts), or in the R2 metadata of a voice stored before it moved there.
 * A voice an admin took down is refused (451), and a published voice of a suspended owner to anyone
 * else (410 `not_available`): takedown-check.ts.
 */
export async function voiceForSynthesis(env: Env, callerKey: string, voiceId: string, o: { transcript: boolean }): Promise<VoiceForSynthesis> {
  const bucket = env.AUDIO
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
  // One call to the owner's object answers both: is it held (or the owner suspended), and its transcript.
  const asked = await userObjectByKey(env, ownerKey).voiceForSynthesis(voiceId, key, o.transcript)
  refuseByNotice(asked, 'voice', ownerKey === callerKey ? 'owner' : 'visitor')
  const promptText = asked.transcript ?? head.customMetadata?.prompt_text ?? ''
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
