import { Hono } from 'hono'
import * as v from 'valibot'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { getConfig } from '../config/app-config'
import { tierFor } from '../config/tiers'
import { notFound } from '../http/api-error'
import { serveObject } from '../http/serve-object'
import { audioKey, isValidId } from '../storage/keys'
import { anonymousRateLimit } from '../limits/anonymous-limit'
import { getLinkConfig } from './link-config'
import { DEFAULT_LINK_SECONDS, linkTtl } from './link-ttl'
import { parseBody, readOptionalJson } from '../http/request-body'
import { signLink, verifyLink } from './signed-link'
import { refuseIfTakenDown } from '../users/takedown-check'

const LinkBody = v.strictObject({ ttl_seconds: v.optional(v.nullable(v.unknown())) })

/**
 * Signed download links: the owner asks for one (`POST /v1/audio/<id>/link`), anyone holding it
 * downloads with no token (`GET /d/<token>`) until it expires. Stateless: nothing is stored, so a
 * link cannot be revoked on its own; it dies with its expiry, its secret, or its audio, and stops
 * while an admin holds its audio (moderation/).
 */
export const linkRoutes = new Hono<AppEnv>()
  .post('/v1/audio/:id/link', requireUser({ scope: 'audio' }), async (c) => {
    const links = await getLinkConfig(c.env)
    const user = c.get('user')
    const id = c.req.param('id')
    const body = parseBody(LinkBody, await readOptionalJson(c))
    const ttl = linkTtl(body.ttl_seconds, tierFor(getConfig(c.env).tiers, user.role).tier, DEFAULT_LINK_SECONDS)
    const object = isValidId(id) ? await c.env.AUDIO.head(audioKey(user.key, id)) : null
    if (!object) throw notFound('audio')
    await refuseIfTakenDown(c.env, { ownerKey: user.key, kind: 'audio', objectId: id, viewer: 'owner' })
    const expiresAt = Math.floor(Date.now() / 1000) + ttl
    const token = await signLink({ userKey: user.key, audioId: id, expiresAt }, links)
    c.set('logFields', { action: 'link.create', resource: id, ttl_seconds: ttl })
    return c.json({ url: new URL(`/d/${token}`, c.req.url).href, expires_at: new Date(expiresAt * 1000).toISOString() }, 200, { 'Cache-Control': 'no-store' })
  })
  .get('/d/:token', anonymousRateLimit(), async (c) => {
    const grant = await verifyLink(c.req.param('token'), await getLinkConfig(c.env))
    c.set('logFields', { action: 'link.download', resource: grant.audioId })
    // Links are stateless, so the one state they obey is asked here: a takedown (or a suspended
    // owner) stops every link already handed out, at once, Range requests included.
    await refuseIfTakenDown(c.env, { ownerKey: grant.userKey, kind: 'audio', objectId: grant.audioId, viewer: 'visitor' })
    const remaining = Math.max(0, Math.floor((grant.expiresAt * 1000 - Date.now()) / 1000))
    const response = await serveObject(c.env.AUDIO, audioKey(grant.userKey, grant.audioId), c.req.raw, {
      filename: `${grant.audioId}.wav`,
      // Private (it is someone's audio) and fresh no longer than the link lives.
      cacheControl: `private, max-age=${remaining}`,
    })
    if (!response) throw notFound('audio')
    return response
  })
