import { describe, expect, it } from 'vitest'
import { userKey } from '../src/auth/user-key'
import { call, errorOf } from './support/api'
import { newAdmin, ownerQuery, takeDown, trailWith } from './support/moderation'
import { synthesizeStored } from './support/stored-audio'
import { tokenFor, uniqueIp, uniqueUser } from './support/tokens'

const SPEECH = { text: 'Report me.', mode: 'sft', speaker: '英文女' }

interface ReportView {
  report_id: string
  created_at: string
  status: 'open' | 'resolved'
  reason: string
  details: string | null
  reporter: string
  share: { share_id: string; ref: string; audio_id: string }
  owner: { sub: string; iss: string } | null
  resolution: { action: string; note: string | null; by: string; at: string } | null
}

async function aliceSharing(n = 1, json: Record<string, unknown> = { ttl_seconds: 600 }) {
  const sub = uniqueUser('alice')
  const token = await tokenFor(sub)
  const { id } = await synthesizeStored(token, SPEECH)
  const shares: string[] = []
  for (let i = 0; i < n; i++) {
    const res = await call('POST', `/v1/audio/${id}/shares`, { token, json })
    expect(res.status).toBe(201)
    shares.push(((await res.json()) as { share_id: string }).share_id)
  }
  return { sub, token, audioId: id, shares }
}

/** The share page's form, posted by a browser without JavaScript. */
const postForm = (shareId: string, fields: Record<string, string>, ip: string) =>
  call('POST', `/s/${shareId}/report`, {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'cf-connecting-ip': ip },
  })

const postJson = (shareId: string, json: unknown, ip: string) => call('POST', `/s/${shareId}/report`, { json, headers: { 'cf-connecting-ip': ip } })

/** Every report in the queue about one of these shares, newest first. */
async function reportsAbout(adminToken: string, shareIds: string[], status = 'all'): Promise<ReportView[]> {
  const found: ReportView[] = []
  let cursor: string | null = null
  do {
    const res = await call('GET', `/admin/reports?status=${status}&limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token: adminToken })
    expect(res.status).toBe(200)
    const page = (await res.json()) as { items: ReportView[]; cursor: string | null }
    found.push(...page.items.filter((r) => shareIds.includes(r.share.share_id)))
    cursor = page.cursor
  } while (cursor)
  return found
}

describe('reporting a share', () => {
  it('every share page has a report form that needs no account and no script', async () => {
    const alice = await aliceSharing(1, { ttl_seconds: 600, max_downloads: 1 })
    const [shareId] = alice.shares as [string]
    const page = await call('GET', `/s/${shareId}`, { headers: { accept: 'text/html', 'cf-connecting-ip': uniqueIp() } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self'")
    const html = await page.text()
    expect(html).toContain(`<form method="post" action="/s/${shareId}/report">`)
    expect(html).toMatch(/<select id="reason" name="reason" required>.*<option value="impersonation">/s)
    expect(html).toContain('<textarea id="details" name="details" rows="4" maxlength="1000">')
    expect(html).not.toMatch(/<script/i)

    // A one-time share used up by the listen that prompted the report can still be reported.
    expect((await call('GET', `/s/${shareId}/audio`, { headers: { 'cf-connecting-ip': uniqueIp() } })).status).toBe(200)
    const gone = await call('GET', `/s/${shareId}`, { headers: { accept: 'text/html', 'cf-connecting-ip': uniqueIp() } })
    expect(gone.status).toBe(410)
    expect(await gone.text()).toContain(`action="/s/${shareId}/report"`)
    // An unknown share has no form: there is nothing to report.
    const unknown = await call('GET', `/s/${shareId.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA`, { headers: { accept: 'text/html', 'cf-connecting-ip': uniqueIp() } })
    expect(unknown.status).toBe(404)
    expect(await unknown.text()).not.toContain('<form')
  })

  it("a report reaches the admin queue with the share's owner and audio; the reporter learns nothing of either; resolving records the action", async () => {
    const alice = await aliceSharing(2)
    const [first, second] = alice.shares as [string, string]
    const admin = await newAdmin()
    const reporterIp = uniqueIp()

    const sent = await postForm(first, { reason: 'impersonation', details: 'This is my voice.\r\nI never agreed.' }, reporterIp)
    expect(sent.status).toBe(202)
    expect(sent.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(sent.headers.get('cache-control')).toBe('no-store')
    const thanks = await sent.text()
    expect(thanks).toContain('Your report was received')
    // Nothing about whose audio it is, or which.
    for (const secret of [alice.sub, alice.audioId, await userKey('cosyvoice-edge', alice.sub)]) expect(thanks).not.toContain(secret)
    const json = await postJson(second, { reason: 'fraud' }, uniqueIp())
    expect(json.status).toBe(202)
    expect(await json.json()).toEqual({ received: true })

    // Newest first, each with the share's owner and object.
    const queue = await reportsAbout(admin.token, [first, second], 'open')
    expect(queue.map((r) => [r.share.share_id, r.reason])).toEqual([
      [second, 'fraud'],
      [first, 'impersonation'],
    ])
    expect(queue[1]).toMatchObject({
      status: 'open',
      details: 'This is my voice.\nI never agreed.',
      owner: { sub: alice.sub, iss: 'cosyvoice-edge' },
      share: { share_id: first, audio_id: alice.audioId, ref: expect.stringMatching(/^share:/) },
      resolution: null,
    })
    expect(queue[1]!.reporter).toMatch(/^[A-Za-z0-9_-]{16}$/)
    expect(JSON.stringify(queue)).not.toContain(reporterIp)
    const paged = await call('GET', '/admin/reports?limit=1', { token: admin.token })
    expect(((await paged.json()) as { items: unknown[]; cursor: string | null }).cursor).not.toBeNull()

    // The owner sees nothing of the reports: not in their trail, and the queue is not theirs to read.
    expect((await call('GET', '/admin/reports', { token: alice.token })).status).toBe(403)
    const trail = ((await (await call('GET', '/v1/audit', { token: alice.token })).json()) as { items: { action: string }[] }).items
    expect(trail.some((e) => e.action.startsWith('report'))).toBe(false)

    // Resolving records what was done and by whom, once.
    const dismissed = await call('POST', `/admin/reports/${queue[0]!.report_id}/resolve`, {
      token: admin.token,
      json: { action: 'dismissed', note: 'a real fraud warning, not fraud' },
    })
    expect(dismissed.status).toBe(200)
    expect(await dismissed.json()).toMatchObject({ status: 'resolved', resolution: { action: 'dismissed', note: 'a real fraud warning, not fraud', by: admin.sub } })
    const twice = await call('POST', `/admin/reports/${queue[0]!.report_id}/resolve`, { token: admin.token, json: { action: 'taken_down' } })
    expect(twice.status).toBe(409)
    expect((await errorOf(twice)).code).toBe('already_resolved')
    await trailWith(admin.token, (e) => e.action === 'report.resolve' && e.resource === queue[0]!.report_id)

    // Taking down straight from the queue (one call) resolves the report as taken_down.
    const second_admin = await newAdmin()
    const taken = await takeDown(second_admin.token, { kind: 'share', owner: queue[1]!.owner, id: first, reason: 'impersonation', report_id: queue[1]!.report_id })
    expect(taken.status).toBe(201)
    expect(await taken.json()).toMatchObject({ report_id: queue[1]!.report_id })
    const resolved = await call('GET', `/admin/reports/${queue[1]!.report_id}`, { token: admin.token })
    expect(await resolved.json()).toMatchObject({ status: 'resolved', resolution: { action: 'taken_down', by: second_admin.sub } })
    expect(await reportsAbout(admin.token, [first, second], 'open')).toEqual([])
    expect((await call('GET', `/s/${first}/audio`, { headers: { 'cf-connecting-ip': reporterIp } })).status).toBe(451)
    expect((await call('GET', `/admin/takedowns?${ownerQuery(alice.sub)}`, { token: admin.token })).status).toBe(200)
  })

  it('a flood from one address is limited (IPv6 by its /64); repeats are stored once; other addresses are not affected', async () => {
    const alice = await aliceSharing(7)
    const admin = await newAdmin()
    const [h3, h4] = [Math.floor(Math.random() * 0xffff), Math.floor(Math.random() * 0xfffe)]
    const block = `2001:db8:${h3.toString(16)}:${h4.toString(16)}`
    const nextBlock = `2001:db8:${h3.toString(16)}:${(h4 + 1).toString(16)}`
    // Five reports from five addresses in one /64.
    for (let i = 0; i < 5; i++) expect((await postJson(alice.shares[i]!, { reason: 'other' }, `${block}::${i + 1}`)).status).toBe(202)
    // The same share again from that block: answered the same, stored once, not counted.
    const repeat = await postJson(alice.shares[0]!, { reason: 'other' }, `${block}:0:0:0:7`)
    expect(repeat.status).toBe(202)
    expect(await repeat.json()).toEqual({ received: true })
    // A sixth, from yet another address in the block: limited.
    const limited = await postJson(alice.shares[5]!, { reason: 'other' }, `${block}::abcd`)
    expect(limited.status).toBe(429)
    expect((await errorOf(limited)).code).toBe('rate_limited')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    const page = await postForm(alice.shares[5]!, { reason: 'other' }, `${block}::abce`)
    expect(page.status).toBe(429)
    expect(page.headers.get('retry-after')).not.toBeNull()
    expect(await page.text()).toContain('too many reports')
    // Another address, and the next /64, are not affected.
    expect((await postJson(alice.shares[5]!, { reason: 'other' }, uniqueIp())).status).toBe(202)
    expect((await postJson(alice.shares[6]!, { reason: 'other' }, `${nextBlock}::1`)).status).toBe(202)

    const stored = await reportsAbout(admin.token, alice.shares)
    expect(stored.length).toBe(7)
    expect(stored.filter((r) => r.share.share_id === alice.shares[0]).length).toBe(1)
  })

  it('hostile reports are refused with a clear error (a page for a browser) and nothing reaches the queue', async () => {
    const alice = await aliceSharing(1)
    const [shareId] = alice.shares as [string]
    const admin = await newAdmin()
    const refused: [() => Promise<Response>, number, string][] = [
      [() => postJson(shareId, { reason: 'because' }, uniqueIp()), 400, 'choose a reason'],
      [() => postJson(shareId, {}, uniqueIp()), 400, 'choose a reason'],
      [() => postJson(shareId, { reason: 'other', details: 'x'.repeat(1001) }, uniqueIp()), 400, 'over 1000 characters'],
      [() => postJson(shareId, { reason: 'other', details: 'ring\u0007' }, uniqueIp()), 400, 'control characters'],
      [() => postJson(shareId, { reason: 'other', details: 42 }, uniqueIp()), 400, 'details must be text'],
      [() => postJson(shareId, { reason: 'other', owner: 'tell me' }, uniqueIp()), 400, 'unknown field'],
      [() => postJson(shareId, ['other'], uniqueIp()), 400, 'JSON object'],
      [
        () =>
          call('POST', `/s/${shareId}/report`, {
            body: 'reason=other&reason=fraud',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': uniqueIp() },
          }),
        400,
        'given twice',
      ],
      [
        () =>
          call('POST', `/s/${shareId}/report`, {
            body: 'reason=other&__proto__=x',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': uniqueIp() },
          }),
        400,
        'unknown field',
      ],
      [
        () =>
          call('POST', `/s/${shareId}/report`, {
            body: new Uint8Array([0x72, 0x65, 0x61, 0x73, 0x6f, 0x6e, 0x3d, 0xff]),
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': uniqueIp() },
          }),
        400,
        'UTF-8',
      ],
      [
        () =>
          call('POST', `/s/${shareId}/report`, {
            body: `reason=other&details=${'%E4%BD%A0'.repeat(4000)}`,
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': uniqueIp() },
          }),
        413,
        'over',
      ],
      [() => call('POST', `/s/${shareId}/report`, { body: 'reason=other', headers: { 'content-type': 'text/plain', 'cf-connecting-ip': uniqueIp() } }), 415, 'form'],
      [() => postJson('not-a-share', { reason: 'other' }, uniqueIp()), 404, 'share not found'],
      [() => postJson(`${shareId.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA`, { reason: 'other' }, uniqueIp()), 404, 'share not found'],
    ]
    for (const [send, status, message] of refused) {
      const res = await send()
      expect(res.status).toBe(status)
      const error = await errorOf(res)
      expect(error.message).toContain(message)
    }
    // A browser gets the same refusal as a page, not JSON.
    const page = await postForm(shareId, { reason: '' }, uniqueIp())
    expect(page.status).toBe(400)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await page.text()).toContain('choose a reason')
    expect(await reportsAbout(admin.token, [shareId])).toEqual([])

    // Markup in a report is data: kept as text, returned as JSON to admins, never run anywhere.
    expect((await postJson(shareId, { reason: 'other', details: '<img src=x onerror=alert(1)>' }, uniqueIp())).status).toBe(202)
    expect((await reportsAbout(admin.token, [shareId]))[0]!.details).toBe('<img src=x onerror=alert(1)>')
    // The queue is admins' only: bad queries are 400, unknown reports 404.
    expect((await call('GET', '/admin/reports?status=everything', { token: admin.token })).status).toBe(400)
    expect((await call('GET', '/admin/reports?cursor=x', { token: admin.token })).status).toBe(400)
    expect((await call('GET', '/admin/reports/nope', { token: admin.token })).status).toBe(404)
    expect((await call('POST', '/admin/reports/nope/resolve', { token: admin.token, json: { action: 'dismissed' } })).status).toBe(404)
    const bad = await call('POST', `/admin/reports/${(await reportsAbout(admin.token, [shareId]))[0]!.report_id}/resolve`, {
      token: admin.token,
      json: { action: 'deleted_everything' },
    })
    expect(bad.status).toBe(400)
    expect((await call('GET', '/admin/reports', { token: await tokenFor(uniqueUser('root'), { role: 'admin', scope: 'audio' }) })).status).toBe(403)
    expect((await call('GET', '/admin/reports')).status).toBe(401)
  })
})
