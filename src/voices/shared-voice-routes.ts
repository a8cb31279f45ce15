import { Hono, type Context } from 'hono'
import type { AppEnv } from '../app-env'
import { actorOf } from '../auth/principal'
import { requireUser } from '../auth/require-user'
import { ownerFromQuery } from '../auth/target-user'
import { badRequest, notFound } from '../http/api-error'
import { isValidId, voiceKey } from '../storage/keys'
import { listSharedVoices, publishVoice, SHARED_PAGE_MAX, unpublishVoice, type SharedVoice } from './shared-voices'
import type { Env } from '../env'
import { userObjectByKey } from '../users/user-stub'
import { listingQuery } from '../http/listing-query'
import { refuseIfTakenDown } from '../users/takedown-check'

/**
 * Publishing: `POST /admin/voices/<id>/publish?sub=<owner>[&iss=<issuer>]` lets every user
 * synthesize with the owner's voice; `DELETE` on the same path withdraws it. Without `sub` the
 * voice is the admin's own. `GET /v1/shared-voices` lists what is published (id, name, date:
 * never the owner, the transcript or the audio).
 */
export const sharedVoiceRoutes = new Hono<AppEnv>()
  .use('/admin/voices/*', requireUser({ scope: 'admin', roles: ['admin'] }))
  .post('/admin/voices/:id/publish', async (c) => {
    const id = c.req.param('id')
    const owner = await ownerKeyOf(c)
    const object = isValidId(id) ? await c.env.AUDIO.head(voiceKey(owner, id)) : null
    if (!object) throw notFound('voice')
    await refuseIfTakenDown(c.env, { ownerKey: owner, kind: 'voice', objectId: id, viewer: 'owner' })
    const shared = await publishVoice(c.env.AUDIO, { voiceId: id, ownerKey: owner, name: object.customMetadata?.name ?? null, publishedBy: c.get('user').sub })
    await auditForOwner(c, owner, 'voice.publish', id, 200)
    c.set('logFields', { action: 'voice.publish', resource: id })
    return c.json({ voice_id: id, name: shared.name, shared: true, published: shared.published }, 200, { 'Cache-Control': 'no-store' })
  })
  .delete('/admin/voices/:id/publish', async (c) => {
    const id = c.req.param('id')
    const owner = await ownerKeyOf(c)
    if (!isValidId(id) || !(await unpublishVoice(c.env.AUDIO, id, owner))) throw notFound('shared voice')
    await auditForOwner(c, owner, 'voice.unpublish', id, 204)
    c.set('logFields', { action: 'voice.unpublish', resource: id })
    return c.body(null, 204)
  })
  .get('/v1/shared-voices', requireUser({ scope: 'voices' }), async (c) => {
    const { limit, cursor } = listingQuery(c, SHARED_PAGE_MAX)
    const page = await listSharedVoices(c.env.AUDIO, limit, cursor)
    const usable = await usableByOthers(c.env, page.voices)
    return c.json({ items: usable.map((v) => ({ voice_id: v.voiceId, name: v.name, published: v.published })), cursor: page.cursor }, 200, {
      'Cache-Control': 'private, no-store',
    })
  })

/**
 * The published voices others can synthesize with now: not those of a suspended owner, nor one an
 * admin holds whose withdrawal did not happen (synthesis refuses both). One call per owner on the
 * page, in parallel (hence pages of at most SHARED_PAGE_MAX); a page can then be shorter than
 * `limit`, its cursor still goes on.
 */
async function usableByOthers(env: Env, voices: SharedVoice[]): Promise<SharedVoice[]> {
  const byOwner = new Map<string, string[]>()
  for (const v of voices) byOwner.set(v.ownerKey, [...(byOwner.get(v.ownerKey) ?? []), v.voiceId])
  const owners = [...byOwner]
  const answers = await Promise.allSettled(owners.map(([ownerKey, ids]) => userObjectByKey(env, ownerKey).withheldFromOthers('voice', ids)))
  // An owner whose object did not answer: their voices are left out of this page, not the page lost.
  const hidden = new Set(answers.flatMap((a, i) => (a.status === 'fulfilled' ? a.value : owners[i]![1])))
  return voices.filter((v) => !hidden.has(v.voiceId))
}

/** The voice owner named by `?sub=` (and `?iss=`, default the admin's own issuer: admin-reach.ts), else the admin. */
async function ownerKeyOf(c: Context<AppEnv>): Promise<string> {
  if (c.req.query('sub') === undefined) {
    // An issuer alone names nobody: acting on the admin's own voice instead would be a surprise.
    if (c.req.query('iss') !== undefined) throw badRequest("iss names the owner's issuer: give their sub too")
    return c.get('user').key
  }
  return (await ownerFromQuery(c)).key
}

/** The owner's own trail records what an admin did to their voice, and who. */
async function auditForOwner(c: Context<AppEnv>, ownerKey: string, action: string, voiceId: string, status: number): Promise<void> {
  const admin = c.get('user')
  if (ownerKey === admin.key) return
  await userObjectByKey(c.env, ownerKey).recordAudit({ at: Date.now(), action, resource: voiceId, status, requestId: c.get('requestId'), actor: actorOf(admin) })
}
