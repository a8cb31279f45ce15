import { toHex } from '../codecs/hex'

/**
 * Every R2 key is built here, from a user key (auth/user-key.ts: 43 url-safe characters, never
 * client input) and an id we generated and validated. Nothing a client sends becomes a path.
 */
export const userPrefix = (userKey: string) => `users/${userKey}/`
export const audioPrefix = (userKey: string) => `${userPrefix(userKey)}audio/`
export const audioKey = (userKey: string, audioId: string) => `${audioPrefix(userKey)}${audioId}.wav`
export const voicePrefix = (userKey: string) => `${userPrefix(userKey)}voices/`
export const voiceKey = (userKey: string, voiceId: string) => `${voicePrefix(userKey)}${voiceId}`
/** A published voice: a small pointer naming the owner; the audio stays under the owner's prefix. */
export const sharedVoicePrefix = 'shared/voices/'
export const sharedVoiceKey = (voiceId: string) => `${sharedVoicePrefix}${voiceId}`

const ID_PATTERN = /^[0-9a-z]{8}[0-9a-f]{24}$/

/**
 * Ids sort newest first (an inverted millisecond clock in base 36) so an R2 listing, which is
 * lexicographic, is already in the order users want; 96 random bits make them unguessable.
 */
export function newId(now = Date.now()): string {
  const inverted = (MAX_TIME - now).toString(36).padStart(8, '0')
  const random = crypto.getRandomValues(new Uint8Array(12))
  return inverted + toHex(random)
}
const MAX_TIME = 36 ** 8 - 1

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id)
}
