import { Hono, type Context } from 'hono'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { ApiError, badRequest, notFound } from '../http/api-error'
import { listingQuery, rowCursor, TABLE_PAGE_MAX } from '../http/listing-query'
import { readJson } from '../http/read-json'
import { parseBody } from '../http/request-body'
import { serveObject } from '../http/serve-object'
import { shareOwner } from '../links/share-id'
import { audioKey, isValidId, voiceKey } from '../storage/keys'
import type { OwnerIdentity } from '../users/owner-identity'
import { shareRef } from '../users/share-ref'
import { TAKEDOWN_KINDS, type Takedown, type TakedownDetail, type TakedownKind } from '../users/takedown-ledger'
import { userObjectByKey } from '../users/user-stub'
import { publishVoice, sharedVoice, unpublishVoice } from '../voices/shared-voices'
import { moderationQueue } from './queue-stub'
import { TakedownBody } from './moderation-bodies'
import { withinReach } from './report-reach'
import { ownerFromQuery, targetOwner, type TargetOwner } from '../auth/target-user'

/** An owner's delete announced just before a takedown (takedown-ledger.ts) lapses within this. */
const BEING_DELETED_RETRY_SECONDS = 60

/**
 * Admin takedowns of one clip, voice or share (issue 21). The object stays where it is, held in
 * its owner's Durable Object (users/takedown-ledger.ts): every route that reaches it asks there
 * and answers 451 `taken_down` (users/takedown-check.ts), its bytes leave the owner's quota, and
 * the owner cannot delete it. `DELETE` releases it as it was; `purge` deletes it for good. Every
 * step is written to the owner's audit trail (by the owner's object, in the same step) and to
 * the admin's (the request's `action`, with whose object it was).
 */
export const takedownRoutes = new Hono<AppEnv>()
  .use('/admin/takedowns', requireUser({ scope: 'admin', roles: ['admin'] }))
  .use('/admin/takedowns/*', requireUser({ scope: 'admin', roles: ['admin'] }))
  .post('/admin/takedowns', async (c) => {
    const body = parseBody(TakedownBody, await readJson(c, 8 * 1024))
    const owner = await targetOwner(c, body.owner as string | { sub?: unknown; iss?: unknown })
    const admin = c.get('user')
    const found = await findObject(c, owner, body.kind, body.id)
    const report = body.report_id ? await moderationQueue(c.env).report(body.report_id) : null
    if (body.report_id && (!report || !withinReach(admin, report))) throw notFound('report')
    const resource = await resourceOf(body.kind, body.id)
    const held = await userObjectByKey(c.env, owner.key).takeDown({
      kind: body.kind,
      objectId: body.id,
      objectKey: found.objectKey,
      reason: body.reason,
      note: body.note || null,
      takenBy: admin.sub,
      reportId: body.report_id,
      detail: found.detail,
      owner: owner.identity,
      resource,
      requestId: c.get('requestId'),
    })
    if (!held.ok && held.code === 'not_found') throw notFound('share')
    if (!held.ok && held.code === 'already_taken_down')
      throw new ApiError(409, 'already_taken_down', `this ${body.kind} is already taken down: release it first to change the reason`)
    if (!held.ok) {
      throw new ApiError(409, 'being_deleted', `its owner is deleting this ${body.kind} right now`, { headers: { 'Retry-After': String(BEING_DELETED_RETRY_SECONDS) } })
    }
    // Published: withdrawn too (release publishes it again). Synthesis asks the owner's object
    // anyway, so the voice is unusable from the moment it is held, even before this.
    if (found.detail?.published) await unpublishVoice(c.env.AUDIO, body.id, owner.key)
    if (report && report.status === 'open') await moderationQueue(c.env).resolveReport(report.reportId, { action: 'taken_down', note: `${body.kind} ${resource}`, by: admin.sub })
    adminTrail(c, 'takedown.create', resource, owner, { kind: body.kind, reason: body.reason, report_id: body.report_id })
    return c.json(takedownView(held.takedown, owner.identity), 201, {
      'Cache-Control': 'no-store',
      Location: `/admin/takedowns/${body.kind}/${encodeURIComponent(body.id)}?${ownerQuery(owner.identity)}`,
    })
  })
  .get('/admin/takedowns', async (c) => {
    const owner = await ownerFromQuery(c)
    const { limit, cursor } = listingQuery(c, TABLE_PAGE_MAX)
    const { takedowns, next } = await userObjectByKey(c.env, owner.key).listTakedowns(limit, rowCursor(cursor))
    return c.json({ items: takedowns.map((t) => takedownView(t, owner.identity)), cursor: next === null ? null : String(next) }, 200, { 'Cache-Control': 'private, no-store' })
  })
  .get('/admin/takedowns/:kind/:id', async (c) => {
    const { owner, kind, id } = await heldTarget(c)
    const held = await userObjectByKey(c.env, owner.key).takedown(kind, id)
    if (!held) throw notFound('takedown')
    return c.json(takedownView(held, owner.identity), 200, { 'Cache-Control': 'private, no-store' })
  })
  // The evidence itself, for the admin deciding (Range works, for a player): only while held.
  .get('/admin/takedowns/:kind/:id/content', async (c) => {
    const { owner, kind, id } = await heldTarget(c)
    const stub = userObjectByKey(c.env, owner.key)
    const held = await stub.takedown(kind, id)
    if (!held) throw notFound('takedown')
    if (!held.objectKey) throw badRequest(`a share holds no audio of its own: its audio is ${String(held.detail?.audio_id)}`, 'invalid_request')
    const response = await serveObject(c.env.AUDIO, held.objectKey, c.req.raw, { filename: kind === 'voice' ? `voice-${id}` : `${id}.wav`, cacheControl: 'private, no-store' })
    if (!response) throw notFound(kind)
    const resource = await resourceOf(kind, id)
    // Once per listen, not once per piece a player fetches.
    if (!/^bytes=(?!0-)/.test(c.req.header('range') ?? '')) {
      await stub.recordAudit({
        at: Date.now(),
        action: 'takedown.evidence',
        resource,
        status: response.status,
        requestId: c.get('requestId'),
        actor: c.get('user').sub,
        detail: { kind },
      })
    }
    adminTrail(c, 'takedown.evidence', resource, owner, { kind })
    return response
  })
  .delete('/admin/takedowns/:kind/:id', async (c) => {
    const { owner, kind, id } = await heldTarget(c)
    const admin = c.get('user')
    const resource = await resourceOf(kind, id)
    const released = await userObjectByKey(c.env, owner.key).releaseTakedown(kind, id, { by: admin.sub, resource, requestId: c.get('requestId') })
    if (!released) throw notFound('takedown')
    if (kind === 'voice' && released.detail?.published) {
      const object = await c.env.AUDIO.head(voiceKey(owner.key, id))
      if (object) await publishVoice(c.env.AUDIO, { voiceId: id, ownerKey: owner.key, name: object.customMetadata?.name ?? null, publishedBy: admin.sub })
    }
    adminTrail(c, 'takedown.release', resource, owner, { kind, reason: released.reason })
    return c.json({ released: takedownView(released, owner.identity) }, 200, { 'Cache-Control': 'no-store' })
  })
  .post('/admin/takedowns/:kind/:id/purge', async (c) => {
    const { owner, kind, id } = await heldTarget(c)
    const admin = c.get('user')
    const stub = userObjectByKey(c.env, owner.key)
    // Only what is held can be purged: this is not a way to delete any user's objects.
    const held = await stub.takedown(kind, id)
    if (!held) throw notFound('takedown')
    // R2 first: a crash after it leaves the hold in place, and purging again finishes the job.
    if (kind === 'voice') await unpublishVoice(c.env.AUDIO, id, owner.key)
    if (held.objectKey) await c.env.AUDIO.delete(held.objectKey)
    const resource = await resourceOf(kind, id)
    await stub.purgeTakedown(kind, id, held.objectKey, { by: admin.sub, resource, requestId: c.get('requestId') })
    adminTrail(c, 'takedown.purge', resource, owner, { kind, reason: held.reason })
    return c.json({ purged: takedownView(held, owner.identity) }, 200, { 'Cache-Control': 'no-store' })
  })

/** The object a takedown names, found under the owner's own prefix or Durable Object. */
async function findObject(c: Context<AppEnv>, owner: TargetOwner, kind: TakedownKind, id: string): Promise<{ objectKey: string | null; detail: TakedownDetail | null }> {
  if (kind === 'share') {
    const holder = shareOwner(c.env, id)
    if (!holder) throw badRequest('id is not a share id', 'invalid_request')
    // Someone else's share is not found, exactly like a missing one.
    if (!holder.id.equals(c.env.USERS.idFromName(owner.key))) throw notFound('share')
    return { objectKey: null, detail: null }
  }
  if (!isValidId(id)) throw badRequest(`id is not ${kind === 'audio' ? 'an audio' : 'a voice'} id`, 'invalid_request')
  const objectKey = kind === 'audio' ? audioKey(owner.key, id) : voiceKey(owner.key, id)
  if (!(await c.env.AUDIO.head(objectKey))) throw notFound(kind)
  if (kind === 'audio') return { objectKey, detail: null }
  const shared = await sharedVoice(c.env.AUDIO, id)
  return { objectKey, detail: { published: shared?.ownerKey === owner.key } }
}

/** `/admin/takedowns/<kind>/<id>?sub=&iss=`, checked. */
async function heldTarget(c: Context<AppEnv>): Promise<{ owner: TargetOwner; kind: TakedownKind; id: string }> {
  const kind = c.req.param('kind')!
  const id = c.req.param('id')!
  if (!(TAKEDOWN_KINDS as readonly string[]).includes(kind)) throw badRequest(`kind must be one of ${TAKEDOWN_KINDS.join(', ')}`, 'invalid_request')
  if (id.length > 200) throw badRequest('id is too long', 'invalid_request')
  return { owner: await ownerFromQuery(c), kind: kind as TakedownKind, id }
}

/** How trails and logs name the object: a share by its ref (its id is a bearer credential). */
const resourceOf = (kind: TakedownKind, id: string) => (kind === 'share' ? shareRef(id) : Promise.resolve(id))

/** The admin's own trail (written by request-context.ts when the request ends), naming the owner. */
function adminTrail(c: Context<AppEnv>, action: string, resource: string, owner: TargetOwner, detail: TakedownDetail): void {
  c.set('logFields', { action, resource, audit_detail: { ...detail, owner_sub: owner.identity.sub, owner_iss: owner.identity.issuer } })
}

const ownerQuery = (o: OwnerIdentity) => new URLSearchParams({ sub: o.sub, iss: o.issuer }).toString()

function takedownView(t: Takedown, owner: OwnerIdentity) {
  return {
    kind: t.kind,
    id: t.objectId,
    owner: { sub: owner.sub, iss: owner.issuer },
    reason: t.reason,
    note: t.note,
    taken_at: new Date(t.takenAt).toISOString(),
    taken_by: t.takenBy,
    held_bytes: t.heldBytes,
    report_id: t.reportId,
    detail: t.detail,
  }
}
