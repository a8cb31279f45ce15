import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { checkPromptAudioRules, checkPromptAudioSignal, inspectPromptAudio, PromptAudioError, type PromptAudioInfo } from './prompt-audio'
import { requireFreshAuth } from '../auth/fresh-auth'
import { requireUser } from '../auth/require-user'
import { invalidToken } from '../http/bearer-challenge'
import { getConfig } from '../config/app-config'
import { tierFor } from '../config/tiers'
import { ApiError, notFound } from '../http/api-error'
import { serveObject } from '../http/serve-object'
import { userObject } from '../users/user-stub'
import { isValidId, newId, voiceKey, voicePrefix } from '../storage/keys'
import { listWithMetadata } from '../storage/list-with-metadata'
import { sharedVoice, unpublishVoice } from './shared-voices'
import { PROMPT_CONTENT_TYPES, promptFilename, voiceMetadata, voiceView } from './voice-metadata'
import { readVoiceUpload, voiceUploadLimit } from './voice-upload'
import { listingQuery, R2_PAGE_MAX } from '../http/listing-query'
import { announceOwnerDelete, refuseIfTakenDown, takedownViews } from '../users/takedown-check'

/**
 * A caller's own cloned voices: create, list, metadata, prompt audio, delete. Everything is looked
 * up under the caller's own prefix, so another user's voice is "not found", exactly like a missing
 * one, published or not (publishing only lets others synthesize with it: shared-voices.ts).
 */
export const voiceRoutes = new Hono<AppEnv>()
  .use('/v1/voices', requireUser({ scope: 'voices' }))
  .use('/v1/voices/*', requireUser({ scope: 'voices' }))
  .post('/v1/voices', voiceUploadLimit(), async (c) => {
    const user = c.get('user')
    const upload = await readVoiceUpload(c.req.raw)
    const info = checkedPrompt(upload.audio)
    const { tier } = tierFor(getConfig(c.env).tiers, user.role)

    const voiceId = newId()
    const key = voiceKey(user.key, voiceId)
    // Reserved before it is stored, in one call that checks the quota and the tier's voice cap
    // together: concurrent uploads cannot overshoot either.
    const owner = userObject(c.env, user)
    const cap = tier.maxVoices === null ? undefined : { prefix: voicePrefix(user.key), max: tier.maxVoices }
    const reserved = await owner.reserveVoice(key, upload.audio.byteLength, tier, cap, upload.promptText)
    if (!reserved.ok && reserved.reason === 'closed') throw invalidToken('token revoked', { internal: 'account closed' })
    if (!reserved.ok && reserved.reason === 'count') throw new ApiError(409, 'voice_limit', `your tier keeps at most ${tier.maxVoices} voices: delete one first`)
    if (!reserved.ok) {
      // 413, not 429: waiting does not help, a smaller prompt or deleting something does.
      throw new ApiError(413, 'storage_quota', `storage quota full: this voice needs ${upload.audio.byteLength} bytes and ${reserved.remaining} are left`)
    }
    // Stored exactly as uploaded, stereo included: the origin loads prompts with
    // torchaudio/soundfile and downmixes to mono there (CosyVoice's load_wav averages the channels),
    // so the owner gets back the file they sent.
    let object: R2Object
    try {
      object = await c.env.AUDIO.put(key, upload.audio, {
        httpMetadata: { contentType: PROMPT_CONTENT_TYPES[info.format] },
        customMetadata: voiceMetadata({ name: upload.name, info }),
      })
    } catch (e) {
      // Nothing was stored: the reservation and the transcript go.
      await owner.forgetVoice(key)
      throw e
    }
    c.set('logFields', { action: 'voice.create', resource: voiceId })
    return c.json(voiceView(voiceId, object, upload.promptText), 201, { Location: `/v1/voices/${voiceId}`, 'Cache-Control': 'no-store' })
  })
  .get('/v1/voices', async (c) => {
    const user = c.get('user')
    const { limit, cursor } = listingQuery(c, R2_PAGE_MAX)
    const prefix = voicePrefix(user.key)
    const listing = await listWithMetadata(c.env.AUDIO, { prefix, limit, cursor })
    const ids = listing.objects.map((o) => o.key.slice(prefix.length))
    const [takenDown, transcripts] = await Promise.all([
      takedownViews(c.env, user.key, 'voice', ids),
      listing.objects.length ? userObject(c.env, user).voiceTranscripts(listing.objects.map((o) => o.key)) : ({} as Record<string, string>),
    ])
    const items = listing.objects.map((o, i) => ({ ...voiceView(ids[i]!, o, transcripts[o.key]), taken_down: takenDown(ids[i]!) }))
    return c.json({ items, cursor: listing.truncated ? listing.cursor : null }, 200, { 'Cache-Control': 'private, no-store' })
  })
  .get('/v1/voices/:id', async (c) => {
    const id = c.req.param('id')
    const user = c.get('user')
    const key = voiceKey(user.key, id)
    const object = isValidId(id) ? await c.env.AUDIO.head(key) : null
    if (!object) throw notFound('voice')
    await refuseIfTakenDown(c.env, { ownerKey: user.key, kind: 'voice', objectId: id, viewer: 'owner' })
    const [shared, transcripts] = await Promise.all([sharedVoice(c.env.AUDIO, id), userObject(c.env, user).voiceTranscripts([key])])
    return c.json({ ...voiceView(id, object, transcripts[key]), shared: shared?.ownerKey === user.key }, 200, { 'Cache-Control': 'private, no-store' })
  })
  .get('/v1/voices/:id/content', async (c) => {
    const id = c.req.param('id')
    const key = voiceKey(c.get('user').key, id)
    const head = isValidId(id) ? await c.env.AUDIO.head(key) : null
    if (head) await refuseIfTakenDown(c.env, { ownerKey: c.get('user').key, kind: 'voice', objectId: id, viewer: 'owner' })
    const response = head
      ? await serveObject(c.env.AUDIO, key, c.req.raw, { filename: promptFilename(id, head), cacheControl: 'private, max-age=0, must-revalidate', known: head })
      : null
    if (!response) throw notFound('voice')
    return response
  })
  // Deleting a voice is irreversible (and withdraws it from everyone if published): it needs a
  // recent login, not just any live token. A stale token is refused before the lookup, so the 401
  // says nothing about whether the voice exists.
  .delete('/v1/voices/:id', requireFreshAuth(), async (c) => {
    const id = c.req.param('id')
    const user = c.get('user')
    const key = voiceKey(user.key, id)
    const object = isValidId(id) ? await c.env.AUDIO.head(key) : null
    if (!object) throw notFound('voice')
    await announceOwnerDelete(c.env, user.key, 'voice', id)
    // The pointer first: a published voice must never point at nothing for long.
    await unpublishVoice(c.env.AUDIO, id, user.key)
    await c.env.AUDIO.delete(key)
    await userObject(c.env, user).forgetVoice(key)
    c.set('logFields', { action: 'voice.delete', resource: id })
    return c.body(null, 204)
  })

/**
 * Parses and checks the prompt before anything is stored: not WAV or FLAC → 415; malformed, lying
 * about its length (its audio is read: FLAC frames decoded), outside the origin's rules (rate,
 * duration, channels) or (near-)silent → 400 naming the rule.
 */
function checkedPrompt(bytes: Uint8Array): PromptAudioInfo {
  try {
    const info = inspectPromptAudio(bytes)
    checkPromptAudioRules(info)
    checkPromptAudioSignal(bytes, info)
    return info
  } catch (e) {
    if (!(e instanceof PromptAudioError)) throw e
    if (e.code === 'unsupported_media_type') throw new ApiError(415, 'unsupported_media_type', `prompt_wav: ${e.message}`)
    throw new ApiError(400, 'invalid_audio', `prompt_wav: ${e.message}`)
  }
}
