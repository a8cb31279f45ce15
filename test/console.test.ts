import { env } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { userKey } from '../src/auth/user-key'
import { getLinkConfig } from '../src/links/link-config'
import { signLink } from '../src/links/signed-link'
import { PRESET_SPEAKERS } from '../dev/origin.mjs'
import { call, errorOf } from './support/api'
import { appWith } from './support/app'
import { originUrls } from './support/origin'
import { tokenFor, uniqueIp, uniqueUser } from './support/tokens'
import { synthesizeStored } from './support/stored-audio'

// The console's flows run in Chromium (test/browser/console.browser.mjs); these are its HTTP edges.
const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }

describe('the web console', () => {
  it('/ leads to the console, a page with only same-origin script and no inline code', async () => {
    const root = await exports.default.fetch(new Request('https://edge.test/', { redirect: 'manual' }))
    expect(root.status).toBe(302)
    expect(root.headers.get('location')).toBe('/console')
    const page = await call('GET', '/console', { headers: HTML })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).toContain("frame-ancestors 'none'")
    const text = await page.text()
    expect(text).toContain('<script type="module" src="/console/app.js"></script>')
    expect(text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/) // no inline script the CSP would block
  })
})

describe('signed /d/ links in a browser', () => {
  const follow = (path: string, headers: Record<string, string> = {}) => call('GET', path, { headers: { 'cf-connecting-ip': uniqueIp(), ...headers } })

  it('an expired link is a page for a browser and JSON for everything else', async () => {
    const sub = uniqueUser('dl')
    const token = await tokenFor(sub)
    const { id } = await synthesizeStored(token, { text: 'Soon gone.', mode: 'sft', speaker: '英文女' })
    const key = await userKey('cosyvoice-edge', sub)
    const expired = await signLink({ userKey: key, audioId: id, expiresAt: Math.floor(Date.now() / 1000) - 5 }, await getLinkConfig(env))
    const page = await follow(`/d/${expired}`, HTML)
    expect(page.status).toBe(403)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(page.headers.get('vary')?.split(', ')).toContain('Accept')
    expect(await page.text()).toContain('This link has expired')
    const json = await follow(`/d/${expired}`)
    expect(json.status).toBe(403)
    expect(json.headers.get('vary')?.split(', ')).toContain('Accept')
    expect((await errorOf(json)).code).toBe('link_expired')
  })

  it('a forged or mangled link is a page saying so, never the audio', async () => {
    const page = await follow('/d/not-a-link-<script>', HTML)
    expect(page.status).toBe(403)
    const text = await page.text()
    expect(text).toContain('This link is not valid')
    expect(text).not.toContain('<script>')
    expect((await errorOf(await follow('/d/not-a-link'))).code).toBe('invalid_link')
  })

  it('the link says whether it plays inline or downloads, under a recognisable name', async () => {
    const token = await tokenFor(uniqueUser('dl'))
    const { id } = await synthesizeStored(token, { text: 'Play me here.', mode: 'sft', speaker: '英文女' })
    const inline = await call('POST', `/v1/audio/${id}/link`, { token, json: { disposition: 'inline' } })
    const { url } = (await inline.json()) as { url: string }
    expect(url).toMatch(/\/d\/[^?]+\?inline=1$/)
    const played = await follow(new URL(url).pathname + new URL(url).search, HTML)
    expect(played.status).toBe(200)
    expect(played.headers.get('content-disposition')).toMatch(new RegExp(`^inline; filename="cosyvoice-${id}\\.wav"`))
    await played.arrayBuffer()
    const plain = (await (await call('POST', `/v1/audio/${id}/link`, { token, json: {} })).json()) as { url: string }
    expect(plain.url).not.toContain('?')
    const downloaded = await follow(new URL(plain.url).pathname, HTML)
    expect(downloaded.headers.get('content-disposition')).toMatch(/^attachment; /)
    await downloaded.arrayBuffer()
    const bad = await call('POST', `/v1/audio/${id}/link`, { token, json: { disposition: 'embed' } })
    expect(bad.status).toBe(400)
  })
})

describe('GET /v1/queue: waiting is visible', () => {
  it("shows a waiting request its place in line, and nobody else's requests", async () => {
    // Fill the origin's 4 slots with slow syntheses (seen in flight by the pool), then queue one more.
    // A pool of its own (a uniquely named origin): another file's synthesis must not be in its line.
    const edge = appWith({ ORIGINS: JSON.stringify([{ url: originUrls()[0], concurrency: 4, speakers: PRESET_SPEAKERS, name: `queue-${crypto.randomUUID()}` }]) })
    const slow = { text: 'Hold the slot. [[dev:delay=6000]]', mode: 'sft', speaker: '英文女' }
    const [ops, waiter, other, ...holders] = await Promise.all([
      tokenFor(uniqueUser('ops'), { role: 'admin', scope: 'admin' }),
      ...Array.from({ length: 6 }, (_, i) => tokenFor(uniqueUser(['waiter', 'other', 'hold'][Math.min(i, 2)]))),
    ])
    const holding = holders.map((token) => call('POST', '/v1/tts', { token, json: slow, via: edge }).then((r) => r.arrayBuffer()))
    const inFlight = async () => ((await (await call('GET', '/admin/origins', { token: ops, via: edge })).json()) as { origins: { in_flight: number }[] }).origins[0]!.in_flight
    await expect.poll(inFlight, { interval: 25, timeout: 5000 }).toBe(4)
    type Queue = { items: { position: number; ahead: number; waiting_since: string; estimate_seconds: number | null }[]; waiting: number }
    let queue: Queue = { items: [], waiting: 0 }
    const waiting = call('POST', '/v1/tts', { token: waiter, json: { text: 'My turn.', mode: 'sft', speaker: '英文女' }, via: edge })
    const waitersQueue = async () => {
      queue = (await (await call('GET', '/v1/queue', { token: waiter, via: edge })).json()) as Queue
      return queue.items.length
    }
    await expect.poll(waitersQueue, { interval: 250, timeout: 10_000 }).toBe(1)
    expect(queue.items).toHaveLength(1)
    expect(queue.items[0]!.position).toBe(1)
    expect(queue.items[0]!.ahead).toBe(0)
    expect(Date.parse(queue.items[0]!.waiting_since)).not.toBeNaN()
    expect(queue.waiting).toBe(1)
    const theirs = (await (await call('GET', '/v1/queue', { token: other, via: edge })).json()) as Queue
    expect(theirs.items).toEqual([])
    expect(theirs.waiting).toBe(1)
    // Then its turn comes.
    expect((await waiting).status).toBe(200)
    await (await waiting).arrayBuffer()
    await Promise.all(holding)
    expect(((await (await call('GET', '/v1/queue', { token: waiter, via: edge })).json()) as Queue).items).toEqual([])
    await edge.settled()
  })

  it('needs a token', async () => {
    expect((await call('GET', '/v1/queue')).status).toBe(401)
  })
})
