import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { getConfig } from '../config/app-config'
import { tierFor } from '../config/tiers'
import { ApiError, notFound } from '../http/api-error'
import { serveObject } from '../http/serve-object'
import { audioKey, isValidId } from '../storage/keys'
import { anonymousRateLimit } from '../limits/anonymous-limit'
import { getLinkConfig } from './link-config'
import { DEFAULT_LINK_SECONDS, linkTtl } from './link-ttl'
import { LinkBody } from './link-bodies'
import { jsonBody } from '../http/request-body'
import { signLink, verifyLink, type LinkGrant } from './signed-link'
import { linkErrorPage } from './share-page'
import { varyOnAccept } from '../http/vary-accept'
import { wantsHtml } from '../http/wants-html'
import { refuseIfTakenDown } from '../users/takedown-check'

/**
 * Signed download links: the owner asks for one (`POST /v1/audio/<id>/link`), anyone holding it
 * downloads with no token (`GET /d/<token>`) until it expires. Stateless: nothing is stored, so a
 * link cannot be revoked on its own; it dies with its expiry, its secret, or its audio, and stops
 * while an admin holds its audio (moderation/).
 */
export const linkRoutes = new Hono<AppEnv>()
  .post('/v1/audio/:id/link', requireUser({ scope: 'audio' }), jsonBody(LinkBody, { optional: true }), async (c) => {
    const user = c.get('user')
    const id = c.req.param('id')
    const body = c.req.valid('json')
    const links = await getLinkConfig(c.env)
    const ttl = linkTtl(body.ttl_seconds, tierFor(getConfig(c.env).tiers, user.role).tier, DEFAULT_LINK_SECONDS)
    const object = isValidId(id) ? await c.env.AUDIO.head(audioKey(user.key, id)) : null
    if (!object) throw notFound('audio')
    await refuseIfTakenDown(c.env, { ownerKey: user.key, kind: 'audio', objectId: id, viewer: 'owner' })
    const expiresAt = Math.floor(Date.now() / 1000) + ttl
    const token = await signLink({ userKey: user.key, audioId: id, expiresAt }, links)
    c.set('logFields', { action: 'link.create', resource: id, ttl_seconds: ttl })
    // The query only chooses how a browser presents the audio; the signed token is the grant.
    const url = new URL(`/d/${token}${body.disposition === 'inline' ? '?inline=1' : ''}`, c.req.url).href
    return c.json({ url, expires_at: new Date(expiresAt * 1000).toISOString() }, 200, { 'Cache-Control': 'no-store' })
  })
  .use('/d/:token', varyOnAccept)
  .get('/d/:token', anonymousRateLimit(), async (c) => {
    const config = await getLinkConfig(c.env)
    let grant: LinkGrant
    try {
      grant = await verifyLink(c.req.param('token'), config)
      c.set('logFields', { action: 'link.download', resource: grant.audioId })
      // Links are stateless, so the one state they obey is asked here: a takedown (or a suspended
      // owner) stops every link already handed out, at once, Range requests included.
      await refuseIfTakenDown(c.env, { ownerKey: grant.userKey, kind: 'audio', objectId: grant.audioId, viewer: 'visitor' })
    } catch (error) {
      // A person who opens an expired, mangled or removed link gets a page; other clients the JSON error.
      if (!(error instanceof ApiError) || !wantsHtml(c.req.header('accept'))) throw error
      c.set('logFields', { action: 'link.refused', code: error.code })
      const title = error.code === 'link_expired' ? 'This link has expired' : error.status === 451 ? 'This audio was removed' : 'This link is not valid'
      return linkErrorPage(error.status, title, error.message)
    }
    const remaining = Math.max(0, Math.floor((grant.expiresAt * 1000 - Date.now()) / 1000))
    const response = await serveObject(c.env.AUDIO, audioKey(grant.userKey, grant.audioId), c.req.raw, {
      filename: `cosyvoice-${grant.audioId}.wav`,
      // Private (it is someone's audio) and fresh no longer than the link lives.
      cacheControl: `private, max-age=${remaining}`,
      disposition: c.req.query('inline') === '1' ? 'inline' : 'attachment',
    })
    if (!response) throw notFound('audio')
    return response
  })
