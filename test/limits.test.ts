import { env } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, errorOf } from './support/api'
import { appWith } from './support/app'
import { tokenFor, uniqueUser } from './support/tokens'

const SHORT = { text: 'Hi.', mode: 'sft', speaker: '英文女' }

async function synth(token: string, text = SHORT.text) {
  const res = await call('POST', '/v1/tts', { token, json: { ...SHORT, text } })
  if (res.status === 200) await res.arrayBuffer()
  return res
}

async function usage(token: string) {
  return (await (await call('GET', '/v1/usage', { token })).json()) as {
    tier: string
    syntheses_per_minute: { limit: number; used: number; remaining: number }
    syntheses_per_day: { limit: number; used: number; remaining: number; resets_at: string }
    concurrent_syntheses: { limit: number; used: number }
    storage_bytes: { limit: number; used: number; remaining: number }
  }
}

/** POST /v1/tts through the Worker's entrypoint (workerd cancels it if `signal` aborts first). */
function ttsThroughEntrypoint(token: string, text: string, signal: AbortSignal, o: { chunked?: boolean } = {}) {
  const json = new TextEncoder().encode(JSON.stringify({ ...SHORT, text }))
  const body = o.chunked
    ? new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(json)
          controller.close()
        },
      })
    : json
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  return exports.default.fetch(new Request('https://edge.test/v1/tts', { method: 'POST', headers, body, signal }))
}

/** Starts a synthesis and leaves once it holds its slot, before any audio. */
async function leaveOnceAdmitted(token: string, text: string, o: { chunked?: boolean } = {}) {
  const client = new AbortController()
  const res = ttsThroughEntrypoint(token, text, client.signal, o)
  await expect.poll(async () => (await usage(token)).concurrent_syntheses.used, { interval: 25, timeout: 2000 }).toBe(1)
  client.abort()
  await res.catch(() => {})
}

/** The slot the user's synthesis held is free again within 3 s, and nothing was charged for it. */
async function expectLetGoUncharged(token: string) {
  await expect.poll(async () => (await usage(token)).concurrent_syntheses.used, { interval: 50, timeout: 3000 }).toBe(0)
  expect((await usage(token)).syntheses_per_day.used).toBe(0)
}

describe('per-user limits', () => {
  it('a free user gets exactly 10 syntheses a minute, then 429 with Retry-After', async () => {
    const token = await tokenFor(uniqueUser())
    const statuses: number[] = []
    let last!: Response
    for (let i = 0; i < 13; i++) {
      last = await synth(token)
      statuses.push(last.status)
      expect(last.headers.get('ratelimit-policy')).toBe('"minute";q=10;w=60, "day";q=200;w=86400')
      expect(last.headers.get('ratelimit')).toMatch(/^"minute";r=\d+;t=\d+, "day";r=\d+;t=\d+$/)
    }
    expect(statuses).toEqual([...Array(10).fill(200), 429, 429, 429])
    const retryAfter = Number(last.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(last.headers.get('ratelimit')).toMatch(/^"minute";r=0;/)
    expect((await errorOf(last)).code).toBe('rate_limited')
  })

  it('admits exactly the limit under concurrency: 50 parallel against 5/minute', async () => {
    const token = await tokenFor(uniqueUser(), { role: 'burst' })
    const results = await Promise.all(Array.from({ length: 50 }, () => synth(token)))
    const ok = results.filter((r) => r.status === 200).length
    const limited = results.filter((r) => r.status === 429)
    expect(ok).toBe(5)
    expect(limited.length).toBe(45)
    for (const r of limited) expect(r.headers.get('retry-after')).toBeTruthy()
    const u = await usage(token)
    expect(u.tier).toBe('burst')
    expect(u.syntheses_per_minute.used).toBe(5)
    expect(u.syntheses_per_day.used).toBe(5)
  })

  it('one synthesis at a time for free: the second waits for the first to finish', async () => {
    const token = await tokenFor(uniqueUser())
    const first = await call('POST', '/v1/tts', { token, json: { ...SHORT, text: 'One. Two. [[dev:gap=800]]' } })
    expect(first.status).toBe(200)
    const second = await synth(token)
    expect(second.status).toBe(429)
    expect((await errorOf(second)).code).toBe('concurrency')
    expect(second.headers.get('retry-after')).toBeTruthy()
    await first.arrayBuffer()
    expect((await synth(token)).status).toBe(200)
  })

  it('a client that disconnects frees its slot at once', async () => {
    const token = await tokenFor(uniqueUser())
    const client = new AbortController()
    const first = await call('POST', '/v1/tts', { token, json: { ...SHORT, text: 'One. Two. Three. [[dev:gap=3000]]' }, signal: client.signal })
    expect(first.status).toBe(200)
    const reader = first.body!.getReader()
    await reader.read()
    client.abort()
    // The slot is freed by the cancel itself; poll briefly only because cancellation crosses threads.
    await expect.poll(async () => (await synth(token)).status, { interval: 50, timeout: 2000 }).toBe(200)
    const u = await usage(token)
    // The GPU did the work for the one that left: it is charged like a success, just not stored.
    expect(u.syntheses_per_day.used).toBe(2)
    expect(u.concurrent_syntheses.used).toBe(0)
  })

  // Through the Worker's own entrypoint, so that workerd cancels the request when the client
  // leaves, as it does in production: the handler's pending awaits are then never resumed. Each
  // origin takes 15 s here, far longer than the poll: only the edge letting go can pass it.
  it('a client that leaves while the origin has sent its headers but no audio frees its slot, uncharged', async () => {
    const token = await tokenFor(uniqueUser())
    await leaveOnceAdmitted(token, 'Slow to start. [[dev:delay=15000]]')
    await expectLetGoUncharged(token)
  })

  it('a client that leaves before the origin has answered at all frees its slot, uncharged', async () => {
    const token = await tokenFor(uniqueUser())
    // error500 with a delay: the origin sends nothing, not even its status line, for 15 s.
    await leaveOnceAdmitted(token, 'Slow to answer. [[dev:error500]][[dev:delay=15000]]')
    await expectLetGoUncharged(token)
  })

  it('a client that sent its body chunked (no Content-Length) and leaves before the first byte frees its slot too, uncharged', async () => {
    const token = await tokenFor(uniqueUser())
    await leaveOnceAdmitted(token, 'Slow to start. [[dev:delay=15000]]', { chunked: true })
    await expectLetGoUncharged(token)
  })

  it('clients leaving at every moment of a synthesis leave nothing held: the user can synthesize after', async () => {
    const token = await tokenFor(uniqueUser())
    for (let i = 0; i < 20; i++) {
      const client = new AbortController()
      const res = ttsThroughEntrypoint(token, 'Hi. [[dev:delay=200]]', client.signal)
      await new Promise((r) => setTimeout(r, i % 10))
      client.abort()
      await res.catch(() => {})
    }
    await expect.poll(async () => (await usage(token)).concurrent_syntheses.used, { interval: 50, timeout: 3000 }).toBe(0)
    expect((await synth(token)).status).toBe(200)
  })

  it('a client that stops reading is let go after the idle timeout, freeing its slot', async () => {
    const token = await tokenFor(uniqueUser())
    const edge = appWith({ ORIGIN_IDLE_TIMEOUT_MS: '200' })
    const res = await edge.fetch(
      new Request('https://edge.test/v1/tts', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...SHORT, text: 'One. Two. Three. Four.' }),
      }),
    )
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    await reader.read() // the WAV header, then nothing more is read
    await expect.poll(async () => (await usage(token)).concurrent_syntheses.used, { interval: 50, timeout: 5000 }).toBe(0)
    await expect(reader.read()).rejects.toThrow(/stopped reading/)
    await edge.settled()
    expect((await call('GET', '/v1/audio', { token }).then((r) => r.json())) as { items: unknown[] }).toMatchObject({ items: [] })
  })

  it('an origin failure does not use daily quota', async () => {
    const token = await tokenFor(uniqueUser())
    const before = await usage(token)
    expect((await synth(token, 'Hi. [[dev:empty]]')).status).toBe(502)
    expect(
      await call('POST', '/v1/tts', { token, json: { ...SHORT, text: 'A. B. [[dev:cut]]' } })
        .then((r) => r.arrayBuffer())
        .catch(() => 'aborted'),
    ).toBe('aborted')
    const after = await usage(token)
    expect(after.syntheses_per_day.used).toBe(before.syntheses_per_day.used)
    expect(after.syntheses_per_day.remaining).toBe(200)
    expect(after.concurrent_syntheses.used).toBe(0)
  })

  it('the daily quota refuses with daily_quota once used up', async () => {
    const token = await tokenFor(uniqueUser(), { role: 'daily3' })
    for (let i = 0; i < 3; i++) expect((await synth(token)).status).toBe(200)
    const refused = await synth(token)
    expect(refused.status).toBe(429)
    expect((await errorOf(refused)).code).toBe('daily_quota')
    const retryAfter = Number(refused.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(86400)
  })

  it('storage: filling the quota gives 429 storage_quota; deleting audio frees it', async () => {
    const token = await tokenFor(uniqueUser(), { role: 'tiny' })
    const ids: string[] = []
    let res = await call('POST', '/v1/tts', { token, json: SHORT })
    for (let i = 0; i < 40 && res.status === 200; i++) {
      await res.arrayBuffer()
      ids.push(res.headers.get('x-audio-id')!)
      res = await call('POST', '/v1/tts', { token, json: { ...SHORT, text: 'A longer sentence to fill the storage quickly.' } })
    }
    expect(res.status).toBe(429)
    expect((await errorOf(res)).code).toBe('storage_quota')
    const full = await usage(token)
    expect(full.storage_bytes.used).toBeGreaterThanOrEqual(300_000)
    // Every stored byte is counted: the sum of the listed objects.
    const listed = (await (await call('GET', '/v1/audio?limit=100', { token })).json()) as { items: { bytes: number }[] }
    expect(full.storage_bytes.used).toBe(listed.items.reduce((n, i) => n + i.bytes, 0))

    for (const id of ids) expect((await call('DELETE', `/v1/audio/${id}`, { token })).status).toBe(204)
    expect((await usage(token)).storage_bytes.used).toBe(0)
    expect((await synth(token)).status).toBe(200)
  })

  it("a user refused on one tier is asked afresh with a bigger tier's token", async () => {
    const sub = uniqueUser()
    const small = await tokenFor(sub, { role: 'daily3' })
    for (let i = 0; i < 3; i++) expect((await synth(small)).status).toBe(200)
    expect((await synth(small)).status).toBe(429)
    expect((await synth(small)).status).toBe(429) // now from the isolate's deny cache
    expect((await synth(await tokenFor(sub, { role: 'premium' }))).status).toBe(200)
  })

  it('users are independent: one at the limit does not affect another', async () => {
    const heavy = await tokenFor(uniqueUser(), { role: 'daily3' })
    for (let i = 0; i < 4; i++) await synth(heavy)
    expect((await synth(heavy)).status).toBe(429)
    const light = await tokenFor(uniqueUser(), { role: 'daily3' })
    expect((await synth(light)).status).toBe(200)
  })

  it('GET /v1/usage agrees with what was admitted', async () => {
    const token = await tokenFor(uniqueUser(), { role: 'premium' })
    for (let i = 0; i < 3; i++) expect((await synth(token)).status).toBe(200)
    const u = await usage(token)
    expect(u).toMatchObject({
      tier: 'premium',
      syntheses_per_minute: { limit: 60, used: 3, remaining: 57 },
      syntheses_per_day: { limit: 5000, used: 3, remaining: 4997 },
      concurrent_syntheses: { limit: 4, used: 0 },
    })
    expect(Date.parse(u.syntheses_per_day.resets_at)).toBeGreaterThan(Date.now())
  })

  it('an unknown role gets free limits, never more', async () => {
    const u = await usage(await tokenFor(uniqueUser(), { role: 'superuser' }))
    expect(u.tier).toBe('free')
    expect(u.syntheses_per_minute.limit).toBe(10)
  })

  it('text over the tier is refused before anything is reserved', async () => {
    const token = await tokenFor(uniqueUser())
    const res = await call('POST', '/v1/tts', { token, json: { ...SHORT, text: 'x'.repeat(600) } })
    expect(res.status).toBe(413)
    expect((await errorOf(res)).code).toBe('text_too_long')
    expect((await usage(token)).syntheses_per_minute.used).toBe(0)
  })
})

describe('floods stay cheap', () => {
  it('a user far past the limit is refused without a Durable Object call per request', async () => {
    // The app over the real bindings, with the users namespace wrapped to count what reaches it.
    let objectCalls = 0
    const users = new Proxy(env.USERS, {
      get(target, prop) {
        if (prop === 'get')
          return (id: DurableObjectId) => {
            objectCalls += 1
            return target.get(id)
          }
        const value = Reflect.get(target, prop)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const edge = appWith({ USERS: users })
    const token = await tokenFor(uniqueUser(), { role: 'burst' })
    const send = () =>
      edge.fetch(
        new Request('https://edge.test/v1/tts', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(SHORT) }),
      )
    for (let i = 0; i < 5; i++) {
      const res = await send()
      expect(res.status).toBe(200)
      await res.arrayBuffer()
    }
    const first429 = await send()
    expect(first429.status).toBe(429)
    const callsAtLimit = objectCalls
    const flood = await Promise.all(Array.from({ length: 100 }, send))
    expect(flood.every((r) => r.status === 429)).toBe(true)
    for (const r of flood) {
      expect(r.headers.get('retry-after')).toBeTruthy()
      expect(r.headers.get('ratelimit')).toMatch(/"minute";r=0/)
    }
    expect(objectCalls).toBe(callsAtLimit)
    await edge.settled()
  })
})
