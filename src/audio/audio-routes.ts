import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { notFound } from '../http/api-error'
import { serveObject } from '../http/serve-object'
import { audioKey, audioPrefix, isValidId } from '../storage/keys'
import { listWithMetadata } from '../storage/list-with-metadata'
import { audioView } from './audio-metadata'
import { userObject } from '../users/user-stub'
import { announceOwnerDelete, refuseIfTakenDown, takedownViews } from '../users/takedown-check'
import { listingQuery, R2_PAGE_MAX } from '../http/listing-query'

const withAudioScope = requireUser({ scope: 'audio' })

/**
 * A caller's own audio: list, metadata, content, delete. Someone else's id is simply not found.
 * Each route names its own auth: the links and shares under /v1/audio/<id>/ have their own scopes.
 */
export const audioRoutes = new Hono<AppEnv>()
  .get('/v1/audio', withAudioScope, async (c) => {
    const user = c.get('user')
    const { limit, cursor } = listingQuery(c, R2_PAGE_MAX)
    const prefix = audioPrefix(user.key)
    const listing = await listWithMetadata(c.env.AUDIO, { prefix, limit, cursor })
    const ids = listing.objects.map((o) => o.key.slice(prefix.length, -'.wav'.length))
    // Audio an administrator took down stays listed, marked, so its owner sees what happened to it.
    const takenDown = await takedownViews(c.env, user.key, 'audio', ids)
    const items = listing.objects.map((o, i) => ({ ...audioView(ids[i]!, o), taken_down: takenDown(ids[i]!) }))
    return c.json({ items, cursor: listing.truncated ? listing.cursor : null })
  })
  .get('/v1/audio/:id', withAudioScope, async (c) => {
    const id = c.req.param('id')
    const object = isValidId(id) ? await c.env.AUDIO.head(audioKey(c.get('user').key, id)) : null
    if (!object) throw notFound('audio')
    await refuseIfTakenDown(c.env, { ownerKey: c.get('user').key, kind: 'audio', objectId: id, viewer: 'owner' })
    return c.json(audioView(id, object), 200, { 'Cache-Control': 'private, no-store' })
  })
  .get('/v1/audio/:id/content', withAudioScope, async (c) => {
    const id = c.req.param('id')
    c.set('logFields', { action: 'audio.download', resource: id })
    if (isValidId(id)) await refuseIfTakenDown(c.env, { ownerKey: c.get('user').key, kind: 'audio', objectId: id, viewer: 'owner' })
    const response = isValidId(id)
      ? await serveObject(c.env.AUDIO, audioKey(c.get('user').key, id), c.req.raw, { filename: `${id}.wav`, cacheControl: 'private, max-age=0, must-revalidate' })
      : null
    if (!response) throw notFound('audio')
    return response
  })
  .delete('/v1/audio/:id', withAudioScope, async (c) => {
    const id = c.req.param('id')
    const key = audioKey(c.get('user').key, id)
    const object = isValidId(id) ? await c.env.AUDIO.head(key) : null
    if (!object) throw notFound('audio')
    // Held as evidence: refused. Otherwise announced first, so a takedown cannot race the delete.
    await announceOwnerDelete(c.env, c.get('user').key, 'audio', id)
    await c.env.AUDIO.delete(key)
    // Its share links die with it (410 share_revoked); its signed links 404, the object being gone.
    await userObject(c.env, c.get('user')).forgetAudio(key, id)
    c.set('logFields', { action: 'audio.delete', resource: id })
    return c.body(null, 204)
  })
