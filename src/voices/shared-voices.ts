import { sharedVoiceKey, sharedVoicePrefix } from '../storage/keys'
import { listWithMetadata } from '../storage/list-with-metadata'

/** A page of the listing asks each of its voices' owners' objects: at most this many calls in one request. */
export const SHARED_PAGE_MAX = 100

/**
 * Published voices. The prompt audio never moves or gets copied: publishing writes an empty pointer
 * object `shared/voices/<id>` whose metadata names the owner's key, and synthesis follows it when
 * the caller's own lookup misses (voice-store.ts). Only synthesis follows it: every other voice
 * route looks under the caller's own prefix, so nobody but the owner can read or download the
 * prompt. Deleting the voice deletes its pointer.
 */
export interface SharedVoice {
  voiceId: string
  ownerKey: string
  name: string | null
  published: string | null
}

export async function publishVoice(bucket: R2Bucket, input: { voiceId: string; ownerKey: string; name: string | null; publishedBy: string }): Promise<SharedVoice> {
  const published = new Date().toISOString()
  await bucket.put(sharedVoiceKey(input.voiceId), null, {
    customMetadata: { owner_key: input.ownerKey, name: input.name ?? '', published, published_by: input.publishedBy },
  })
  return { voiceId: input.voiceId, ownerKey: input.ownerKey, name: input.name, published }
}

/** The published voice with this id, or null. */
export async function sharedVoice(bucket: R2Bucket, voiceId: string): Promise<SharedVoice | null> {
  const pointer = await bucket.head(sharedVoiceKey(voiceId))
  return pointer ? fromPointer(voiceId, pointer) : null
}

/** Withdraws a voice from sharing, if `ownerKey` owns it. True if it was shared. */
export async function unpublishVoice(bucket: R2Bucket, voiceId: string, ownerKey: string): Promise<boolean> {
  const shared = await sharedVoice(bucket, voiceId)
  if (!shared || shared.ownerKey !== ownerKey) return false
  await bucket.delete(sharedVoiceKey(voiceId))
  return true
}

/** One page of published voices, newest first (ids sort that way). */
export async function listSharedVoices(bucket: R2Bucket, limit: number, cursor?: string): Promise<{ voices: SharedVoice[]; cursor: string | null }> {
  const listing = await listWithMetadata(bucket, { prefix: sharedVoicePrefix, limit, cursor })
  return {
    voices: listing.objects.flatMap((o) => fromPointer(o.key.slice(sharedVoicePrefix.length), o) ?? []),
    cursor: listing.truncated ? listing.cursor : null,
  }
}

function fromPointer(voiceId: string, pointer: R2Object): SharedVoice | null {
  const m = pointer.customMetadata ?? {}
  if (!m.owner_key) return null
  return { voiceId, ownerKey: m.owner_key, name: m.name || null, published: m.published ?? null }
}
