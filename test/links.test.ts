import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { userKey } from '../src/auth/user-key'
import { getLinkConfig } from '../src/links/link-config'
import { signLink } from '../src/links/signed-link'
import { call, errorOf } from './support/api'
import { appWith } from './support/app'
import { tokenFor, uniqueIp, uniqueUser } from './support/tokens'
import { sha256 } from './support/wav'
import { synthesizeStored } from './support/stored-audio'

const SPEECH = { text: 'A link to this.', mode: 'sft', speaker: '英文女' }
const OLD_SECRET = 'the-link-secret-being-rotated-out-0123456789ab'

const synthesize = (token: string) => synthesizeStored(token, SPEECH)

async function linkFor(token: string, id: string, json: unknown = {}): Promise<{ url: string; expires_at: string }> {
  const res = await call('POST', `/v1/audio/${id}/link`, { token, json })
  expect(res.status).toBe(200)
  return res.json()
}

/** Follows a link as someone without an account: no token, just the URL. */
const follow = (url: string, ip: string, headers: Record<string, string> = {}) => call('GET', new URL(url).pathname, { headers: { 'cf-connecting-ip': ip, ...headers } })

/** The same app over the same bindings with other settings (rotation, a missing secret). */
function withEnv(overrides: Record<string, string | undefined>) {
  const edge = appWith(overrides)
  return async (method: string, path: string, o: { token?: string; json?: unknown } = {}) => {
    const res = await call(method, path, { ...o, headers: { 'cf-connecting-ip': uniqueIp() }, via: edge })
    // Read first, then wait for the request's waitUntil work (its audit entry), as appWith asks.
    const body = await res.arrayBuffer()
    await edge.settled()
    return new Response(body, res)
  }
}

describe('signed download links', () => {
  it('download the exact stored bytes without a token, with download headers', async () => {
    const token = await tokenFor(uniqueUser('alice'))
    const { id, bytes } = await synthesize(token)
    const before = Date.now()
    const link = await linkFor(token, id)
    expect(link.url).toMatch(/^https:\/\/edge\.test\/d\/[A-Za-z0-9_.-]+$/)
    const expires = Date.parse(link.expires_at)
    expect(expires - before).toBeGreaterThan(295_000) // default 5 minutes
    expect(expires - before).toBeLessThanOrEqual(301_000)

    const res = await follow(link.url, uniqueIp())
    expect(res.status).toBe(200)
    const body = new Uint8Array(await res.arrayBuffer())
    expect(await sha256(body)).toBe(await sha256(bytes))
    expect(res.headers.get('content-type')).toBe('audio/wav')
    expect(res.headers.get('content-length')).toBe(String(bytes.length))
    expect(res.headers.get('etag')).toMatch(/^"/)
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="cosyvoice-${id}.wav"; filename*=UTF-8''cosyvoice-${id}.wav`)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(res.headers.get('cache-control')!)![1])
    expect(maxAge).toBeGreaterThan(0)
    expect(maxAge).toBeLessThanOrEqual(300) // never fresher than the link lives
  })

  it('does not name its owner: no user key, and two links of one owner share nothing', async () => {
    const sub = uniqueUser('alice')
    const token = await tokenFor(sub)
    const { id } = await synthesize(token)
    const key = await userKey('cosyvoice-edge', sub)
    const [a, b] = await Promise.all([linkFor(token, id), linkFor(token, id)])
    const owners = [a, b].map((l) => new URL(l.url).pathname.slice('/d/'.length).split('.')[0]!)
    for (const [i, link] of [a, b].entries()) {
      expect(link.url).not.toContain(key)
      expect(owners[i]).toMatch(/^[A-Za-z0-9_-]{80}$/) // sealed: IV + ciphertext + tag
    }
    expect(owners[0]).not.toBe(owners[1])
    for (const link of [a, b]) expect((await follow(link.url, uniqueIp())).status).toBe(200)
  })

  it('refuses a link with any one character changed (403 invalid_link)', async () => {
    const token = await tokenFor(uniqueUser())
    const { id } = await synthesize(token)
    const path = new URL((await linkFor(token, id)).url).pathname
    const link = path.slice('/d/'.length)
    const flip = (ch: string) => (ch === '.' ? '_' : ch === 'a' ? 'b' : /[0-9]/.test(ch) ? String((Number(ch) + 1) % 10) : 'a')
    const ip = uniqueIp()
    const forgeries = Array.from(link, (ch, i) => link.slice(0, i) + flip(ch) + link.slice(i + 1))
    // All at once, each from its own address (which keeps the per-IP brake out of this test).
    const results = await Promise.all(
      forgeries.map(async (forged, i) => {
        const res = await follow(`https://edge.test/d/${forged}`, `${ip}-${i}`)
        return [i, res.status, (await errorOf(res)).code]
      }),
    )
    expect(results).toEqual(forgeries.map((_, i) => [i, 403, 'invalid_link']))
    expect((await follow(`https://edge.test${path}`, uniqueIp())).status).toBe(200)
  })

  it('refuses an expired link with 403 link_expired, and checks the signature first', async () => {
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    const { id } = await synthesize(token)
    const key = await userKey('cosyvoice-edge', sub)
    const past = Math.floor(Date.now() / 1000) - 1
    const expired = await signLink({ userKey: key, audioId: id, expiresAt: past }, await getLinkConfig(env))
    const res = await follow(`https://edge.test/d/${expired}`, uniqueIp())
    expect(res.status).toBe(403)
    expect((await errorOf(res)).code).toBe('link_expired')
    expect(res.headers.get('cache-control')).toBe('no-store')

    const forged = await signLink({ userKey: key, audioId: id, expiresAt: past }, await getLinkConfig({ ...env, LINK_SECRET: OLD_SECRET }))
    expect((await errorOf(await follow(`https://edge.test/d/${forged}`, uniqueIp()))).code).toBe('invalid_link')
  })

  it('keeps working across a secret rotation while LINK_SECRET_PREVIOUS holds the old secret', async () => {
    const token = await tokenFor(uniqueUser())
    const { id, bytes } = await synthesize(token)
    const before = withEnv({ LINK_SECRET: OLD_SECRET })
    const made = (await (await before('POST', `/v1/audio/${id}/link`, { token, json: {} })).json()) as { url: string }
    const path = new URL(made.url).pathname

    const during = withEnv({ LINK_SECRET: env.LINK_SECRET, LINK_SECRET_PREVIOUS: OLD_SECRET })
    const res = await during('GET', path)
    expect(res.status).toBe(200)
    expect(await sha256(new Uint8Array(await res.arrayBuffer()))).toBe(await sha256(bytes))

    const after = await call('GET', path, { headers: { 'cf-connecting-ip': uniqueIp() } }) // the old secret is gone
    expect(res.status).toBe(200)
    expect(after.status).toBe(403)
    expect((await errorOf(after)).code).toBe('invalid_link')
    // New links are signed with the new secret and work during the rotation too.
    const fresh = (await (await during('POST', `/v1/audio/${id}/link`, { token, json: {} })).json()) as { url: string }
    expect((await follow(fresh.url, uniqueIp())).status).toBe(200)
  })

  it('serves ranges (206), refuses bad ranges (416) and revalidates (304)', async () => {
    const token = await tokenFor(uniqueUser())
    const { id, bytes } = await synthesize(token)
    const { url } = await linkFor(token, id)
    const ip = uniqueIp()
    const part = await follow(url, ip, { range: 'bytes=0-99' })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-length')).toBe('100')
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${bytes.length}`)
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.subarray(0, 100))

    const bad = await follow(url, ip, { range: `bytes=${bytes.length}-` })
    expect(bad.status).toBe(416)
    expect(bad.headers.get('content-range')).toBe(`bytes */${bytes.length}`)

    const etag = part.headers.get('etag')!
    const again = await follow(url, ip, { 'if-none-match': etag })
    expect(again.status).toBe(304)
    expect(await again.arrayBuffer()).toHaveProperty('byteLength', 0)
  })

  it('asks a TTL within the tier: default 5 min, at most max_link_seconds', async () => {
    const free = await tokenFor(uniqueUser())
    const { id } = await synthesize(free)
    const short = await linkFor(free, id, { ttl_seconds: 60 })
    expect(Date.parse(short.expires_at) - Date.now()).toBeLessThanOrEqual(60_000)
    const tooLong = await call('POST', `/v1/audio/${id}/link`, { token: free, json: { ttl_seconds: 3601 } })
    expect(tooLong.status).toBe(400)
    expect(await errorOf(tooLong)).toMatchObject({ code: 'ttl_too_long', message: 'ttl_seconds may be at most 3600 for your tier' })
    for (const ttl of [0, -5, 1.5, '60']) {
      const res = await call('POST', `/v1/audio/${id}/link`, { token: free, json: { ttl_seconds: ttl } })
      expect(res.status).toBe(400)
    }
    expect((await call('POST', `/v1/audio/${id}/link`, { token: free, json: { ttl: 60 } })).status).toBe(400)
    // No body at all is fine: the default.
    expect((await call('POST', `/v1/audio/${id}/link`, { token: free })).status).toBe(200)

    const premium = await tokenFor(uniqueUser(), { role: 'premium' })
    const { id: theirs } = await synthesize(premium)
    expect((await call('POST', `/v1/audio/${theirs}/link`, { token: premium, json: { ttl_seconds: 86400 } })).status).toBe(200)
  })

  it('only links the caller’s own audio, and dies with the audio', async () => {
    const alice = await tokenFor(uniqueUser('alice'))
    const bob = await tokenFor(uniqueUser('bob'))
    const { id } = await synthesize(alice)
    expect((await call('POST', `/v1/audio/${id}/link`, { token: bob, json: {} })).status).toBe(404)
    expect((await call('POST', `/v1/audio/${id}/link`, { json: {} })).status).toBe(401)

    const { url } = await linkFor(alice, id)
    expect((await call('DELETE', `/v1/audio/${id}`, { token: alice })).status).toBe(204)
    const gone = await follow(url, uniqueIp())
    expect(gone.status).toBe(404)
    expect((await errorOf(gone)).code).toBe('not_found')
  })

  it('fails closed with a 500 naming LINK_SECRET when it is missing, on the link routes only', async () => {
    const token = await tokenFor(uniqueUser())
    const { id } = await synthesize(token)
    const { url } = await linkFor(token, id)
    const noSecret = withEnv({ LINK_SECRET: undefined })
    const make = await noSecret('POST', `/v1/audio/${id}/link`, { token, json: {} })
    expect(make.status).toBe(500)
    expect((await errorOf(make)).message).toContain('LINK_SECRET')
    const get = await noSecret('GET', new URL(url).pathname)
    expect(get.status).toBe(500)
    expect((await errorOf(get)).message).toContain('LINK_SECRET')
    expect((await noSecret('GET', `/v1/audio/${id}`, { token })).status).toBe(200)

    const short = await withEnv({ LINK_SECRET: 'too-short' })('POST', `/v1/audio/${id}/link`, { token, json: {} })
    expect((await errorOf(short)).message).toBe('LINK_SECRET must be at least 32 bytes')
  })
})

describe('anonymous routes are rate limited per address', () => {
  it('answers 429 with Retry-After once one address sends too much, and not to others', async () => {
    const ip = uniqueIp()
    // Fixed 10 s windows of 60 requests. 130 sent at once span at most two windows (unless the
    // machine needs over 10 s to answer them), so one window sees more than 60: some are refused,
    // and never fewer than 60 get through.
    const responses = await Promise.all(Array.from({ length: 130 }, () => follow('https://edge.test/d/nonsense', ip)))
    const refused = responses.filter((r) => r.status === 429)
    const through = responses.filter((r) => r.status !== 429)
    expect(refused.length).toBeGreaterThan(0)
    expect(through.length).toBeGreaterThanOrEqual(60)
    for (const res of through) expect((await errorOf(res)).code).toBe('invalid_link')
    expect(refused[0]!.headers.get('retry-after')).toBe('10')
    expect((await errorOf(refused[0]!)).code).toBe('rate_limited')
    expect((await follow('https://edge.test/d/nonsense', uniqueIp())).status).toBe(403)
  })
})
