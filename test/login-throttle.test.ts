import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { userKey } from '../src/auth/user-key'
import { addressKey } from '../src/accounts/login-attempt'
import { CLIENT_ADDRESS, nextAllowed, TRUSTED_DEVICE, UNTRUSTED_CLIENTS } from '../src/users/login-throttle'
import { call, errorOf } from './support/api'
import { loggedIn, login, uniqueIp } from './support/tokens'

/**
 * Issue 13, finding 2: five wrong passwords from five addresses used to lock the owner out of every
 * address for 15 minutes, renewably. Now: growing delays, an hourly ceiling per username across all
 * addresses, a per-address allowance, and trusted devices that keep their own allowance.
 */

const userObjectOf = async (name: string) => env.USERS.get(env.USERS.idFromName(await userKey('cosyvoice-edge', name)))

/** Moves the username's clock forward by `seconds` (its recorded failures age), instead of sleeping. */
async function advance(name: string, seconds: number): Promise<void> {
  await runInDurableObject(await userObjectOf(name), (_instance, state) => {
    state.storage.sql.exec('UPDATE login_attempts SET at = at - ?', seconds * 1000)
  })
}

async function expectThrottled(res: Response): Promise<number> {
  expect(res.status).toBe(429)
  expect((await errorOf(res)).code).toBe('too_many_attempts')
  const retryAfter = Number(res.headers.get('retry-after'))
  expect(retryAfter).toBeGreaterThan(0)
  return retryAfter
}

const strangerGuess = (name: string, i: number) => login(name, { password: `guess-${i}`, ip: uniqueIp() })

describe('a distributed guess', () => {
  it("across 100 addresses gets no more than the hourly ceiling, and the owner's trusted device still logs in", async () => {
    const owner = await loggedIn('login-owner')
    expect(owner.device_token).toMatch(/^[\w-]{22}\.\d+\.[\w-]{43}$/)

    // Strangers, one new address each, guessing as fast as the throttle lets them for one
    // simulated hour: a refusal says when to come back, and the clock is moved there.
    let guesses = 0
    let advanced = 0
    const started = Date.now()
    // The clock the throttle sees: real time plus what the test moved it by.
    const elapsed = () => advanced + (Date.now() - started) / 1000
    for (let address = 0; address < 100; address++) {
      const res = await strangerGuess('login-owner', address)
      if (res.status === 401) {
        guesses += 1
        continue
      }
      const retryAfter = await expectThrottled(res)
      if (elapsed() + retryAfter >= 3600) break
      advanced += retryAfter
      await advance('login-owner', retryAfter)
    }
    expect(guesses).toBe(UNTRUSTED_CLIENTS.ceiling)

    // Past the ceiling even the right password from an untrusted client waits (that is what the
    // ceiling means)…
    const stranger = await login('login-owner', { ip: uniqueIp() })
    expect(await expectThrottled(stranger)).toBeGreaterThan(60)
    // …but the owner's device, which logged in before, has its own allowance, from any address.
    const again = await login('login-owner', { deviceToken: owner.device_token, ip: uniqueIp() })
    expect(again.status).toBe(200)
    const fresh = (await again.json()) as { access_token: string; device_token: string }
    expect((await call('GET', '/auth/me', { token: fresh.access_token })).status).toBe(200)
    // A new device token each time; the old one stays good until it expires.
    expect(fresh.device_token).not.toBe(owner.device_token)
    expect((await login('login-owner', { deviceToken: owner.device_token, ip: uniqueIp() })).status).toBe(200)

    // An hour after the strangers' first guesses, untrusted clients get their allowance back.
    await advance('login-owner', 3600)
    expect((await login('login-owner', { ip: uniqueIp() })).status).toBe(200)
  })

  it('grows the delay between guesses rather than locking: 5 free, then Retry-After 2, 4, 8 … seconds', async () => {
    const name = `nobody-${crypto.randomUUID().slice(0, 8)}`
    for (let i = 0; i < 5; i++) expect((await strangerGuess(name, i)).status).toBe(401)
    const delays: number[] = []
    for (let i = 0; i < 4; i++) {
      const retryAfter = await expectThrottled(await strangerGuess(name, 100 + i))
      delays.push(retryAfter)
      await advance(name, retryAfter)
      expect((await strangerGuess(name, 200 + i)).status).toBe(401)
    }
    // Each Retry-After is at most the policy's delay (some of it may already have passed), and the
    // delays keep growing.
    for (const [i, d] of delays.entries()) expect(d).toBeLessThanOrEqual(2 * 2 ** i)
    expect(delays[3]).toBeGreaterThan(delays[0]!)
    expect(delays[3]).toBeGreaterThan(4)
  })

  it('counts concurrent guesses exactly: 12 at once, 5 are tried, 7 wait', async () => {
    const name = `concurrent-${crypto.randomUUID().slice(0, 8)}`
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => strangerGuess(name, i)))
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(UNTRUSTED_CLIENTS.free)
    expect(statuses.filter((s) => s === 429)).toHaveLength(12 - UNTRUSTED_CLIENTS.free)
  })

  it('answers an unknown username exactly like a known one', async () => {
    const unknown = `nobody-${crypto.randomUUID().slice(0, 8)}`
    for (const name of [unknown, 'login-brute']) {
      for (let i = 0; i < 5; i++) {
        const res = await strangerGuess(name, i)
        expect(res.status).toBe(401)
        expect(await errorOf(res)).toMatchObject({ code: 'invalid_credentials', message: 'invalid username or password' })
      }
      await expectThrottled(await strangerGuess(name, 5))
    }
  })
})

describe('trusted devices', () => {
  it("a device has its own allowance: its typos do not touch the untrusted clients' allowance, nor theirs its", async () => {
    const { device_token } = await loggedIn('login-device')
    for (let i = 0; i < 5; i++) expect((await login('login-device', { password: `typo-${i}`, deviceToken: device_token })).status).toBe(401)
    await expectThrottled(await login('login-device', { deviceToken: device_token }))
    // Other clients were not slowed down by the device's failures.
    expect((await login('login-device', { ip: uniqueIp() })).status).toBe(200)
    // Once its delay has passed, the device logs in, and its own record is wiped.
    await advance('login-device', 60)
    expect((await login('login-device', { deviceToken: device_token })).status).toBe(200)
    expect((await login('login-device', { password: 'typo-again', deviceToken: device_token })).status).toBe(401)
    expect((await login('login-device', { deviceToken: device_token })).status).toBe(200)
  })

  it('a browser keeps its device token in an HttpOnly __Host- cookie that lets it in past strangers', async () => {
    const res = await login('login-browser-device', { cookie: true })
    const device = res.headers.getAll('set-cookie').find((c) => c.startsWith('__Host-device='))!
    expect(device).toMatch(/; Path=\//)
    expect(device).toMatch(/; Secure/)
    expect(device).toMatch(/; HttpOnly/)
    expect(device).toMatch(/; SameSite=Strict/)
    expect(device).toMatch(/; Max-Age=15552000(;|$)/) // 180 days
    expect(((await res.json()) as Record<string, unknown>).device_token).toBeUndefined()

    for (let i = 0; i < 5; i++) expect((await strangerGuess('login-browser-device', i)).status).toBe(401)
    await expectThrottled(await strangerGuess('login-browser-device', 5))
    const browser = await login('login-browser-device', { cookie: true, headers: { cookie: device.split(';')[0]! } })
    expect(browser.status).toBe(200)
    // Logging out ends the session, not the trust in the device.
    const cookies = browser.headers.getAll('set-cookie')
    expect(cookies.some((c) => c.startsWith('__Host-device='))).toBe(true)
    const out = await call('POST', '/auth/logout', { headers: { cookie: cookies.find((c) => c.startsWith('__Host-refresh='))!.split(';')[0]! } })
    expect(out.headers.getAll('set-cookie').some((c) => c.startsWith('__Host-device='))).toBe(false)
  })

  it('a device token is worth nothing for another user, forged, or malformed: such a client is untrusted', async () => {
    const { device_token } = await loggedIn('login-basic')
    const [id, expires] = device_token!.split('.')
    const forged = `${id}.${expires}.${'A'.repeat(43)}`
    const later = `${id}.${Number(expires) + 86400}.${device_token!.split('.')[2]}`
    for (const token of [device_token!, forged, later, 'not-a-device-token']) {
      const name = `nobody-${crypto.randomUUID().slice(0, 8)}`
      for (let i = 0; i < 5; i++) expect((await login(name, { password: `g${i}`, deviceToken: token })).status).toBe(401)
      // The untrusted allowance of that name was used up: it was never a device of its own.
      await expectThrottled(await strangerGuess(name, 99))
    }
    expect((await call('POST', '/auth/login', { json: { username: 'login-basic', password: 'x', device_token: 42 } })).status).toBe(400)
  })
})

describe('per client address', () => {
  it('one address spraying many usernames is slowed down; the accounts themselves are not', async () => {
    const ip = uniqueIp()
    for (let i = 0; i < CLIENT_ADDRESS.free; i++) expect((await login(`sprayed-${i}-${crypto.randomUUID().slice(0, 6)}`, { ip })).status).toBe(401)
    await expectThrottled(await login('login-spray', { ip }))
    // The account is fine from elsewhere, and from a trusted device at that same address.
    const ok = await loggedIn('login-spray', { ip: uniqueIp() })
    expect((await login('login-spray', { ip, deviceToken: ok.device_token })).status).toBe(200)
  })

  it('an IPv6 client is counted by its /64, however many addresses it takes from it', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(addressKey('198.51.100.7')).toBe('198.51.100.7')
    expect(addressKey(undefined)).toBe('unknown')
    expect(addressKey('x'.repeat(500))).toHaveLength(64)
  })
})

describe('the policy', () => {
  it('never allows more than the ceiling in a window, whatever the timing', () => {
    for (const policy of [UNTRUSTED_CLIENTS, TRUSTED_DEVICE, CLIENT_ADDRESS]) {
      // The fastest possible attacker: each guess the moment it is allowed.
      const times: number[] = []
      let now = 0
      while (now < 3 * policy.windowMs) {
        const window = times.filter((t) => t > now - policy.windowMs)
        const allowed = nextAllowed(window, policy)
        if (allowed > now) {
          now = allowed
          continue
        }
        times.push(now)
        expect(times.filter((t) => t > now - policy.windowMs).length).toBeLessThanOrEqual(policy.ceiling)
      }
      expect(times.length).toBeGreaterThan(policy.free)
    }
  })
})
