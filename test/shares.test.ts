import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { userKey } from '../src/auth/user-key'
import { MAX_FREE_PIECES, SESSION_COPIES, ShareLedger } from '../src/users/share-ledger'
import { call, errorOf } from './support/api'
import { tokenFor, uniqueIp, uniqueUser } from './support/tokens'
import { sha256 } from './support/wav'
import { synthesizeStored } from './support/stored-audio'

const SPEECH = { text: 'Something to share.', mode: 'sft', speaker: '英文女' }

interface ShareView {
  share_id: string
  ref: string
  url: string
  audio_id: string
  status: string
  expires_at: string
  max_downloads: number | null
  downloads: number
  revoked_at: string | null
  note: string | null
}

const synthesize = (token: string) => synthesizeStored(token, SPEECH)

async function share(token: string, id: string, json: Record<string, unknown> = { ttl_seconds: 600 }): Promise<ShareView> {
  const res = await call('POST', `/v1/audio/${id}/shares`, { token, json })
  expect(res.status).toBe(201)
  return res.json()
}

/** Someone without an account opening a share: no token. */
const open = (path: string, ip: string, headers: Record<string, string> = {}) => call('GET', path, { headers: { 'cf-connecting-ip': ip, ...headers } })

async function listOf(token: string): Promise<ShareView[]> {
  const res = await call('GET', '/v1/shares', { token })
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: ShareView[] }).items
}

describe('share links', () => {
  it('hand the audio to anyone holding the link, with download headers', async () => {
    const token = await tokenFor(uniqueUser('alice'))
    const { id, bytes } = await synthesize(token)
    const made = await share(token, id, { ttl_seconds: 600, max_downloads: 5, note: 'For Bob' })
    // Owner object id (32 bytes) + 128 random bits, base64url.
    expect(made.share_id).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/)
    expect(made).toMatchObject({ url: `https://edge.test/s/${made.share_id}`, audio_id: id, status: 'active', max_downloads: 5, downloads: 0, note: 'For Bob' })
    expect(Date.parse(made.expires_at) - Date.now()).toBeGreaterThan(590_000)

    const res = await open(`/s/${made.share_id}`, uniqueIp())
    expect(res.status).toBe(200)
    expect(await sha256(new Uint8Array(await res.arrayBuffer()))).toBe(await sha256(bytes))
    expect(res.headers.get('content-type')).toBe('audio/wav')
    expect(res.headers.get('content-length')).toBe(String(bytes.length))
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('etag')).toMatch(/^"/)
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="[0-9a-z]{32}\.wav"/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('vary')?.split(', ')).toContain('Accept')
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(res.headers.get('cache-control')!)![1])
    expect(maxAge).toBeGreaterThan(0)
    expect(maxAge).toBeLessThanOrEqual(600) // never fresher than the share lives

    expect((await listOf(token))[0]).toMatchObject({ share_id: made.share_id, downloads: 1, status: 'active' })
  })

  it('a one-time share: 50 parallel downloads give exactly one 200 with the full audio', async () => {
    const token = await tokenFor(uniqueUser())
    const { id, bytes } = await synthesize(token)
    const { share_id } = await share(token, id, { ttl_seconds: 600, max_downloads: 1 })
    const ip = uniqueIp()
    const responses = await Promise.all(Array.from({ length: 50 }, () => open(`/s/${share_id}`, ip)))
    const ok = responses.filter((r) => r.status === 200)
    const gone = responses.filter((r) => r.status === 410)
    expect(ok.length).toBe(1)
    expect(gone.length).toBe(49)
    expect(await sha256(new Uint8Array(await ok[0]!.arrayBuffer()))).toBe(await sha256(bytes))
    expect(new Set(await Promise.all(gone.map(async (r) => (await errorOf(r)).code)))).toEqual(new Set(['share_exhausted']))
    expect((await listOf(token))[0]).toMatchObject({ share_id, downloads: 1, status: 'exhausted' })

    // The owner's audit trail has the one download, by an anonymous actor.
    const audit = (await (await call('GET', '/v1/audit', { token })).json()) as {
      items: { action: string; resource: string; actor: string | null; detail: Record<string, unknown> | null }[]
    }
    const downloads = audit.items.filter((e) => e.action === 'share.download')
    expect(downloads).toHaveLength(1)
    expect(downloads[0]).toMatchObject({ resource: (await listOf(token))[0]!.ref, actor: 'anonymous', detail: { audio_id: id, download: 1, max_downloads: 1 } })
  })

  it('serves ranges (206) and revalidation (304) without letting pieces become free copies', async () => {
    const token = await tokenFor(uniqueUser())
    const { id, bytes } = await synthesize(token)
    const { share_id } = await share(token, id, { ttl_seconds: 600, max_downloads: 1 })
    const audio = `/s/${share_id}/audio`
    const listener = uniqueIp()

    // HEAD carries no audio: it never counts.
    const head = await call('HEAD', audio, { headers: { 'cf-connecting-ip': listener } })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(bytes.length))
    expect((await listOf(token))[0]!.downloads).toBe(0)

    // A browser player: a first piece (counts as the one download), then more pieces (free).
    const first = await open(audio, listener, { range: 'bytes=0-99' })
    expect(first.status).toBe(206)
    expect(first.headers.get('content-length')).toBe('100')
    expect(first.headers.get('content-range')).toBe(`bytes 0-99/${bytes.length}`)
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(bytes.subarray(0, 100))
    const rest = await open(audio, listener, { range: 'bytes=100-' })
    expect(rest.status).toBe(206)
    expect(new Uint8Array(await rest.arrayBuffer())).toEqual(bytes.subarray(100))
    const etag = first.headers.get('etag')!
    expect((await open(audio, listener, { 'if-none-match': etag })).status).toBe(304)
    expect((await open(audio, listener, { range: `bytes=${bytes.length}-` })).status).toBe(416)

    // Someone else, even with a range, pays for a download: there is none left.
    const other = await open(audio, uniqueIp(), { range: 'bytes=0-99' })
    expect(other.status).toBe(410)
    expect((await errorOf(other)).code).toBe('share_exhausted')
    // A whole download is always a download, even from the listener.
    expect((await open(audio, listener)).status).toBe(410)
    // And the free pieces run out.
    const statuses: number[] = []
    for (let i = 0; i < MAX_FREE_PIECES; i++) statuses.push((await open(audio, listener, { range: 'bytes=0-9' })).status)
    expect(statuses.filter((s) => s === 206).length).toBe(MAX_FREE_PIECES - 1) // one piece was used above
    expect(statuses.at(-1)).toBe(410)
    expect((await listOf(token))[0]!.downloads).toBe(1)
  })

  it('a listener gets a play and seeks, but whole copies past the session allowance are counted', async () => {
    const token = await tokenFor(uniqueUser())
    const { id, bytes } = await synthesize(token)
    const { share_id } = await share(token, id, { ttl_seconds: 600, max_downloads: 2 })
    const audio = `/s/${share_id}/audio`
    const listener = uniqueIp()
    const downloads = async () => (await listOf(token))[0]!.downloads
    const piece = async (range: string) => {
      const res = await open(audio, listener, { range })
      await res.arrayBuffer()
      return res.status
    }
    expect(SESSION_COPIES).toBe(2)
    const half = Math.floor(bytes.length / 2)

    // A play in a browser: the whole file as a range (counted), then a seek to the middle (free).
    expect(await piece('bytes=0-')).toBe(206)
    expect(await piece(`bytes=${half}-`)).toBe(206)
    expect(await downloads()).toBe(1)
    // Another whole copy would pass two copies' worth for this session: it is a second download.
    expect(await piece('bytes=0-')).toBe(206)
    expect(await downloads()).toBe(2)
    // The new session's replay fits its allowance; one more whole copy does not, and none is left.
    expect(await piece('bytes=0-')).toBe(206)
    expect(await downloads()).toBe(2)
    const refused = await open(audio, listener, { range: 'bytes=0-' })
    expect(refused.status).toBe(410)
    expect((await errorOf(refused)).code).toBe('share_exhausted')
    // What carries no audio still answers the listener whose session is open.
    expect((await call('HEAD', audio, { headers: { 'cf-connecting-ip': listener } })).status).toBe(200)
  })

  it('a one-time share: 50 parallel whole-file ranges from one address give exactly SESSION_COPIES copies', async () => {
    const token = await tokenFor(uniqueUser())
    const { id } = await synthesize(token)
    const { share_id } = await share(token, id, { ttl_seconds: 600, max_downloads: 1 })
    const ip = uniqueIp()
    const responses = await Promise.all(Array.from({ length: 50 }, () => open(`/s/${share_id}/audio`, ip, { range: 'bytes=0-' })))
    await Promise.all(responses.map((r) => r.arrayBuffer()))
    expect(responses.filter((r) => r.status === 206).length).toBe(SESSION_COPIES)
    expect(responses.filter((r) => r.status === 410).length).toBe(50 - SESSION_COPIES)
    expect((await listOf(token))[0]).toMatchObject({ downloads: 1, status: 'exhausted' })
  })

  it("logs and audits a share by its ref, never its id (a bearer credential); the owner's list shows the ref", async () => {
    const token = await tokenFor(uniqueUser())
    const { id } = await synthesize(token)
    const log = vi.spyOn(console, 'log')
    try {
      const made = await share(token, id, { ttl_seconds: 600 })
      expect(made.ref).toMatch(/^share:[A-Za-z0-9_-]{8}$/)
      expect((await listOf(token))[0]).toMatchObject({ share_id: made.share_id, ref: made.ref })
      expect((await open(`/s/${made.share_id}`, uniqueIp())).status).toBe(200)
      const lines = log.mock.calls.map((args) => args.join(' '))
      expect(lines.some((l) => l.includes(made.ref))).toBe(true)
      expect(lines.filter((l) => l.includes(made.share_id.split('.')[1]!))).toEqual([])

      expect((await call('DELETE', `/v1/shares/${made.share_id}`, { token })).status).toBe(204)
      const revoke = log.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>).find((l) => l.action === 'share.revoke')
      expect(revoke).toMatchObject({ resource: made.ref })

      // The owner's audit trail: create, the anonymous download and the revocation, all by ref.
      type Entry = { action: string; resource: string | null }
      const shareEntries = async () =>
        ((await (await call('GET', '/v1/audit', { token })).json()) as { items: Entry[] }).items.filter((e) => e.action.startsWith('share.')).map((e) => [e.action, e.resource])
      await expect.poll(shareEntries, { interval: 25, timeout: 2000 }).toEqual([
        ['share.revoke', made.ref],
        ['share.download', made.ref],
        ['share.create', made.ref],
      ])
    } finally {
      log.mockRestore()
    }
  })

  it('revoking a share ends it at once (410); another user can neither list nor revoke it (404)', async () => {
    const alice = await tokenFor(uniqueUser('alice'))
    const bob = await tokenFor(uniqueUser('bob'))
    const { id } = await synthesize(alice)
    const { share_id } = await share(alice, id)
    const ip = uniqueIp()
    expect((await open(`/s/${share_id}`, ip)).status).toBe(200)

    expect(await listOf(bob)).toEqual([])
    const theirs = await call('DELETE', `/v1/shares/${share_id}`, { token: bob })
    expect(theirs.status).toBe(404)
    expect((await errorOf(theirs)).code).toBe('not_found')
    expect((await open(`/s/${share_id}`, ip)).status).toBe(200) // untouched

    expect((await call('DELETE', `/v1/shares/${share_id}`, { token: alice })).status).toBe(204)
    const gone = await open(`/s/${share_id}`, ip)
    expect(gone.status).toBe(410)
    expect((await errorOf(gone)).code).toBe('share_revoked')
    expect((await open(`/s/${share_id}/audio`, ip, { range: 'bytes=0-9' })).status).toBe(410)
    const [listed] = await listOf(alice)
    expect(listed).toMatchObject({ share_id, status: 'revoked' })
    expect(listed!.revoked_at).not.toBeNull()
    expect((await call('DELETE', `/v1/shares/${share_id}`, { token: alice })).status).toBe(204) // idempotent
    expect((await call('DELETE', '/v1/shares/nope', { token: alice })).status).toBe(404)
  })

  it('deleting the audio revokes its shares', async () => {
    const token = await tokenFor(uniqueUser())
    const { id } = await synthesize(token)
    const { share_id } = await share(token, id)
    expect((await call('DELETE', `/v1/audio/${id}`, { token })).status).toBe(204)
    const res = await open(`/s/${share_id}`, uniqueIp())
    expect(res.status).toBe(410)
    expect((await errorOf(res)).code).toBe('share_revoked')
    expect((await listOf(token))[0]).toMatchObject({ share_id, status: 'revoked' })
  })

  it('an expired share answers 410 share_expired', async () => {
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    const { id } = await synthesize(token)
    const { share_id, expires_at } = await share(token, id, { ttl_seconds: 60 })
    const stub = env.USERS.get(env.USERS.idFromName(await userKey('cosyvoice-edge', sub)))
    // The ledger with an injected clock: the moment the share expires, and just before.
    const at = Date.parse(expires_at)
    const request = { body: true, range: null, ifNoneMatch: null, client: 'c' }
    const [before, after] = await runInDurableObject(stub, (_, state) => {
      const ledger = new ShareLedger(state.storage.sql)
      return [ledger.claim(share_id, { ...request, body: false }, at - 1), ledger.claim(share_id, request, at)]
    })
    expect(before).toMatchObject({ ok: true, counted: false })
    expect(after).toEqual({ ok: false, code: 'share_expired' })
  })

  it('refuses unknown or forged share ids with 404', async () => {
    const ip = uniqueIp()
    const forged = `${'A'.repeat(43)}.${'B'.repeat(22)}`
    for (const path of [`/s/${forged}`, '/s/short', `/s/${forged}/audio`]) {
      const res = await open(path, ip)
      expect(res.status).toBe(404)
      expect((await errorOf(res)).code).toBe('not_found')
    }
    // The share URL answers a browser with a page: its JSON refusal varies on Accept too.
    expect((await open(`/s/${forged}`, ip)).headers.get('vary')?.split(', ')).toContain('Accept')
    // A well-formed id of a real owner with a random part that was never issued.
    const token = await tokenFor(uniqueUser())
    const { id } = await synthesize(token)
    const { share_id } = await share(token, id)
    const guess = `${share_id.split('.')[0]}.${'x'.repeat(22)}`
    expect((await open(`/s/${guess}`, ip)).status).toBe(404)
  })

  it('validates the request and only shares the caller’s own audio', async () => {
    const alice = await tokenFor(uniqueUser('alice'))
    const { id } = await synthesize(alice)
    const bad = async (json: unknown) => {
      const res = await call('POST', `/v1/audio/${id}/shares`, { token: alice, json })
      expect(res.status).toBe(400)
      return (await errorOf(res)).message
    }
    expect(await bad({})).toBe('ttl_seconds is required')
    expect(await bad({ ttl_seconds: 3601 })).toBe('ttl_seconds may be at most 3600 for your tier')
    expect(await bad({ ttl_seconds: 60, max_downloads: 0 })).toBe('max_downloads must be at least 1')
    expect(await bad({ ttl_seconds: 60, max_downloads: 1.5 })).toBe('max_downloads must be a whole number')
    expect(await bad({ ttl_seconds: 60, note: 'x'.repeat(501) })).toBe('note is over 500 characters')
    expect(await bad({ ttl_seconds: 60, note: 'bell\u0007' })).toBe('note must not contain control characters other than line breaks')
    expect(await bad({ ttl_seconds: 60, public: true })).toBe('unknown field "public"')

    const bob = await tokenFor(uniqueUser('bob'))
    expect((await call('POST', `/v1/audio/${id}/shares`, { token: bob, json: { ttl_seconds: 60 } })).status).toBe(404)
    expect((await call('POST', '/v1/audio/0000000000000000000000000000aaaa/shares', { token: alice, json: { ttl_seconds: 60 } })).status).toBe(404)
    const audioOnly = await tokenFor(uniqueUser(), { scope: 'audio' })
    const refused = await call('POST', `/v1/audio/${id}/shares`, { token: audioOnly, json: { ttl_seconds: 60 } })
    expect(refused.status).toBe(403)
    expect((await errorOf(refused)).code).toBe('insufficient_scope')
    expect((await call('GET', '/v1/shares')).status).toBe(401)
  })
})

describe('the share page', () => {
  it('gives a browser a small page whose player plays the shared audio', async () => {
    const token = await tokenFor(uniqueUser())
    const { id, bytes } = await synthesize(token)
    const made = await share(token, id, { ttl_seconds: 600, max_downloads: 1, note: '<script>alert(1)</script> for "you"' })
    const ip = uniqueIp()
    const accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
    const res = await open(`/s/${made.share_id}`, ip, { accept })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toMatch(/^default-src 'none'; media-src 'self'; style-src 'sha256-[A-Za-z0-9+/]+=*'; /)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('vary')?.split(', ')).toContain('Accept')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const html = await res.text()
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/)
    expect(html).not.toMatch(/<script|https?:\/\//) // no scripts, no external assets
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; for &quot;you&quot;')
    expect(html).toContain(`<time datetime="${made.expires_at}">`)
    const src = /<audio controls preload="none" src="([^"]+)"/.exec(html)![1]!
    expect(src).toBe(`/s/${made.share_id}/audio`)
    expect(html).toContain(`<a class="button" href="${src}?download=1" download>`)

    // The inline style is the one the CSP's hash allows.
    const style = /<style>([^<]*)<\/style>/.exec(html)![1]!
    const digest = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(style)))))
    expect(csp).toContain(`'sha256-${digest}'`)

    // Opening the page again does not use the one-time link; playing does.
    expect((await open(`/s/${made.share_id}`, ip, { accept })).status).toBe(200)
    const played = await open(src, ip, { range: 'bytes=0-', accept: 'audio/*' })
    expect(played.status).toBe(206)
    expect(played.headers.get('content-type')).toBe('audio/wav')
    expect(played.headers.get('content-disposition')).toMatch(/^inline; /)
    expect(await sha256(new Uint8Array(await played.arrayBuffer()))).toBe(await sha256(bytes))
    // The listener can reload the page; someone else now finds it used up.
    expect((await open(`/s/${made.share_id}`, ip, { accept })).status).toBe(200)
    const late = await open(`/s/${made.share_id}`, uniqueIp(), { accept })
    expect(late.status).toBe(410)
    expect(late.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(late.headers.get('vary')?.split(', ')).toContain('Accept')
    expect(await late.text()).toContain('no downloads left')
  })
})
