import { Hono, type Context } from 'hono'
import { html as page } from 'hono/html'
import type { AppEnv } from '../app-env'
import { ApiError, notFound } from '../http/api-error'
import { anonymousRateLimit } from '../limits/anonymous-limit'
import { wantsHtml } from '../http/wants-html'
import { sharePageResponse } from '../links/share-page'
import { shareOwner } from '../links/share-id'
import { shareRef } from '../users/share-ref'
import { moderationQueue } from './queue-stub'
import { readReport } from './report-body'
import { reporterOf } from './reporter-address'

/** How long a full queue asks reporters to wait: it takes an admin to drain it. */
const QUEUE_FULL_RETRY_SECONDS = 3600

/**
 * `POST /s/<id>/report`: anyone holding a share reports it, with no account and no script (the
 * share page's form), or as JSON. The report reaches the admin queue (moderation-queue.ts) with
 * the share's audio and owner; the reporter is told only that it was received, the same words
 * whether it is new or a repeat, and never who shared the audio or which audio it is.
 */
export const reportRoutes = new Hono<AppEnv>().post('/s/:id/report', anonymousRateLimit(), async (c) => {
  const html = wantsHtml(c.req.header('accept'))
  try {
    return await fileReport(c, html)
  } catch (e) {
    // A person who posted the form gets a page, not JSON, for whatever went wrong with it.
    if (!html || !(e instanceof ApiError)) throw e
    c.set('logFields', { ...c.get('logFields'), action: 'report.refused', error: { code: e.code, internal: e.internal } })
    return sharePageResponse(e.status, 'Your report was not sent', page`<p>${e.message}</p>`, e.headers)
  }
})

async function fileReport(c: Context<AppEnv>, html: boolean): Promise<Response> {
  const shareId = c.req.param('id')!
  const input = await readReport(c)
  const owner = shareOwner(c.env, shareId)
  const share = owner ? await owner.shareForReport(shareId) : null
  if (!share) throw notFound('share')
  const ref = await shareRef(shareId)
  const filed = await moderationQueue(c.env).fileReport({
    shareId,
    shareRef: ref,
    audioId: share.audioId,
    owner: share.owner,
    reason: input.reason,
    details: input.details,
    reporter: await reporterOf(c.env, c.req.header('cf-connecting-ip')),
  })
  if (!filed.ok && filed.code === 'rate_limited') {
    throw new ApiError(429, 'rate_limited', 'you have sent too many reports: try again later', { headers: { 'Retry-After': String(filed.retryAfterSeconds) } })
  }
  if (!filed.ok) {
    throw new ApiError(503, 'reports_unavailable', 'reports cannot be taken right now: try again later', {
      headers: { 'Retry-After': String(QUEUE_FULL_RETRY_SECONDS) },
      internal: 'the moderation queue is full',
    })
  }
  c.set('logFields', { action: 'report.create', resource: ref, reason: input.reason, repeat: filed.duplicate })
  if (!html) return c.json({ received: true }, 202, { 'Cache-Control': 'no-store' })
  return sharePageResponse(
    202,
    'Thank you',
    page`<p>Your report was received. The people who run this service will look at it.</p>
<p><a href="/s/${shareId}">Back to the shared audio</a></p>`,
  )
}
