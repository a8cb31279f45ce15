import { Hono, type Context } from 'hono'
import type { AppEnv } from '../app-env'
import type { Env } from '../env'
import { requireUser } from '../auth/require-user'
import { getConfig } from '../config/app-config'
import { tierFor } from '../config/tiers'
import { ApiError, notFound } from '../http/api-error'
import { serveObject } from '../http/serve-object'
import { userObject } from '../users/user-stub'
import { audioKey, isValidId } from '../storage/keys'
import { anonymousRateLimit } from '../limits/anonymous-limit'
import { base64url } from '../codecs/base64'
import { linkTtl } from './link-ttl'
import { ShareBody } from './link-bodies'
import { jsonBody } from '../http/request-body'
import { newShareId, shareOwner } from './share-id'
import { shareRef } from '../users/share-ref'
import type { Share, ShareRefusal } from '../users/share-ledger'
import type { ShareClaim } from '../users/user-object'
import type { HeldRefusal, TakedownNotice } from '../users/takedown-ledger'
import { takenDownError } from '../users/takedown-check'
import { shareErrorPage, sharePage } from './share-page'
import { varyOnAccept } from '../http/vary-accept'
import { wantsHtml } from '../http/wants-html'
import { getLinkConfig } from './link-config'
import { listingQuery, rowCursor, TABLE_PAGE_MAX } from '../http/listing-query'

/** How a visitor is refused; `reportable` refusals still show the report form (the share exists). */
const REFUSALS: Record<ShareRefusal | HeldRefusal, { status: 404 | 410 | 451; message: string; reportable: boolean }> = {
  not_found: { status: 404, message: 'share not found', reportable: false },
  share_revoked: { status: 410, message: 'this share was revoked', reportable: true },
  share_expired: { status: 410, message: 'this share has expired', reportable: true },
  share_exhausted: { status: 410, message: 'this share has no downloads left', reportable: true },
  // Removed by an admin (users/takedown-check.ts); a suspended owner's shares say nothing of why.
  taken_down: { status: 451, message: 'this audio was removed by an administrator', reportable: false },
  not_available: { status: 410, message: 'this audio is not available', reportable: false },
}

/**
 * External share links. The owner creates, lists and revokes them with a token; anyone holding a
 * share id opens `/s/<id>` with none: a page with a player for a browser, the audio for anything
 * else (`/s/<id>/audio` is always the audio, for the page's player and download link). Each share
 * lives in its owner's Durable Object (share-ledger.ts), which counts downloads exactly.
 */
export const shareRoutes = new Hono<AppEnv>()
  .post('/v1/audio/:id/shares', requireUser({ scope: 'share' }), jsonBody(ShareBody, { optional: true }), async (c) => {
    const user = c.get('user')
    const id = c.req.param('id')
    const body = c.req.valid('json')
    const ttl = linkTtl(body.ttl_seconds, tierFor(getConfig(c.env).tiers, user.role).tier)
    const key = audioKey(user.key, id)
    const object = isValidId(id) ? await c.env.AUDIO.head(key) : null
    if (!object) throw notFound('audio')
    const created = await userObject(c.env, user).createShare(
      {
        shareId: newShareId(c.env, user.key),
        audioId: id,
        audioKey: key,
        etag: object.httpEtag,
        size: object.size,
        expiresAt: Date.now() + ttl * 1000,
        maxDownloads: body.max_downloads,
        note: body.note || null,
      },
      { issuer: user.issuer, sub: user.sub },
    )
    if (!created.ok && created.code === 'taken_down') throw takenDownError(created.takedown, 'owner')
    if (!created.ok) throw new ApiError(409, 'too_many_shares', 'you have too many live shares: revoke some first')
    const { share } = created
    const ref = await shareRef(share.shareId)
    c.set('logFields', { action: 'share.create', resource: ref })
    return c.json(shareView(share, ref, c.req.url), 201, { 'Cache-Control': 'no-store' })
  })
  .get('/v1/shares', requireUser({ scope: 'share' }), async (c) => {
    const { limit, cursor } = listingQuery(c, TABLE_PAGE_MAX)
    const before = rowCursor(cursor)
    const { shares, next } = await userObject(c.env, c.get('user')).listShares(limit, before)
    const items = await Promise.all(shares.map(async (s) => shareView(s, await shareRef(s.shareId), c.req.url)))
    return c.json({ items, cursor: next === null ? null : String(next) }, 200, { 'Cache-Control': 'private, no-store' })
  })
  .delete('/v1/shares/:id', requireUser({ scope: 'share' }), async (c) => {
    const id = c.req.param('id')
    // Only the caller's own object is asked: someone else's share is simply not found.
    const share = id.length <= 100 ? await userObject(c.env, c.get('user')).revokeShare(id) : null
    if (!share) throw notFound('share')
    c.set('logFields', { action: 'share.revoke', resource: await shareRef(id) })
    return c.body(null, 204)
  })
  .use('/s/:id', varyOnAccept)
  .get('/s/:id', anonymousRateLimit(), async (c) => {
    if (wantsHtml(c.req.header('accept'))) {
      const claim = await claimShare(c, false)
      if (!claim.ok) {
        const refusal = REFUSALS[claim.code]
        return shareErrorPage(refusal.status, refusal.message, refusal.reportable ? c.req.param('id') : null)
      }
      return sharePage(claim.share)
    }
    return serveShare(c, 'attachment')
  })
  .get('/s/:id/audio', anonymousRateLimit(), (c) => serveShare(c, c.req.query('download') ? 'attachment' : 'inline'))

async function serveShare(c: Context<AppEnv>, disposition: 'inline' | 'attachment'): Promise<Response> {
  const claim = await claimShare(c, c.req.method !== 'HEAD')
  if (!claim.ok) throw new ApiError(REFUSALS[claim.code].status, claim.code, REFUSALS[claim.code].message)
  c.set('logFields', { action: 'share.download', resource: claim.share.audioId, counted: claim.counted })
  const remaining = Math.max(0, Math.floor((claim.share.expiresAt - Date.now()) / 1000))
  const response = await serveObject(c.env.AUDIO, claim.audioKey, c.req.raw, {
    filename: `${claim.share.audioId}.wav`,
    // Private, and fresh no longer than the share lives: a cache never holds it past the link.
    cacheControl: `private, max-age=${remaining}`,
    disposition,
    known: claim.object,
  })
  if (!response) throw notFound('share')
  return response
}

/** Asks the owner's Durable Object, which checks (and for a download, counts) the request. */
async function claimShare(c: Context<AppEnv>, body: boolean): Promise<ShareClaim> {
  const id = c.req.param('id')!
  const owner = shareOwner(c.env, id)
  if (!owner) return { ok: false, code: 'not_found' }
  return owner.claimShare(
    id,
    { body, range: c.req.header('range') ?? null, ifNoneMatch: c.req.header('if-none-match') ?? null, client: await clientOf(c.env, id, c.req.header('cf-connecting-ip')) },
    c.get('requestId'),
  )
}

/**
 * Who is asking, as far as download sessions and the owner's audit trail need to know: an HMAC of
 * the address and the share id under the link secret. It tells clients of one share apart without
 * storing an address, without letting two shares' clients be linked, and without letting the owner
 * (who knows the share id) recover the address by hashing every IPv4 address.
 */
async function clientOf(env: Env, shareId: string, ip: string | undefined): Promise<string> {
  const { current } = await getLinkConfig(env)
  const mac = await crypto.subtle.sign('HMAC', current.mac, new TextEncoder().encode(`share client\n${shareId}\n${ip ?? 'unknown'}`))
  return base64url(new Uint8Array(mac).subarray(0, 12))
}

/** A share for its owner; `ref` is how logs and the audit trail name it (share-ref.ts). */
function shareView(s: Share & { takedown?: TakedownNotice | null }, ref: string, requestUrl: string) {
  const now = Date.now()
  const status = s.takedown
    ? 'taken_down'
    : s.revokedAt !== null
      ? 'revoked'
      : now >= s.expiresAt
        ? 'expired'
        : s.maxDownloads !== null && s.downloads >= s.maxDownloads
          ? 'exhausted'
          : 'active'
  return {
    share_id: s.shareId,
    ref,
    url: new URL(`/s/${s.shareId}`, requestUrl).href,
    audio_id: s.audioId,
    status,
    created_at: new Date(s.createdAt).toISOString(),
    expires_at: new Date(s.expiresAt).toISOString(),
    max_downloads: s.maxDownloads,
    downloads: s.downloads,
    revoked_at: s.revokedAt === null ? null : new Date(s.revokedAt).toISOString(),
    note: s.note,
    // When an administrator took it (or its audio) down, and why (moderation/).
    taken_down: s.takedown ? { kind: s.takedown.kind, reason: s.takedown.reason, taken_at: new Date(s.takedown.takenAt).toISOString() } : null,
  }
}
