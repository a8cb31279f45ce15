import { env } from 'cloudflare:workers'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { call } from './support/api'
import { adminToken, createInvited, createUser, expectStatus, logIn, trailWith } from './support/accounts'
import { login, tokenFor, uniqueUser } from './support/tokens'

const setPassword = (token: string, password: unknown) => call('POST', `/auth/invite/${token}`, { json: { password } })

describe('invites', () => {
  it('a user created without a password gets a one-time link that sets it', async () => {
    const admin = await adminToken()
    const invited = await createInvited(admin)
    expect(invited.url).toMatch(/^https:\/\/edge\.test\/auth\/invite\/[A-Za-z0-9_-]{43}$/)
    expect(invited.user.password_set).toBe(false)
    // No password yet: no login, whatever is tried.
    await expectStatus(login(invited.username, { password: '' }), 400)
    await expectStatus(login(invited.username, { password: 'anything-at-all' }), 401, 'invalid_credentials')

    const info = await call('GET', `/auth/invite/${invited.token}`)
    expect(info.status).toBe(200)
    expect(info.headers.get('vary')).toMatch(/\bAccept\b/)
    expect(await info.json()).toMatchObject({ username: invited.username })

    await expectStatus(setPassword(invited.token, 'short'), 400, 'weak_password')
    const res = await setPassword(invited.token, 'my-new-password')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ username: invited.username, password_set: true })
    await logIn({ username: invited.username, password: 'my-new-password' })

    // Once only.
    await expectStatus(setPassword(invited.token, 'another-password'), 410, 'invite_used')
    const spent = await call('GET', `/auth/invite/${invited.token}`)
    expect(spent.headers.get('vary')).toMatch(/\bAccept\b/)
    await expectStatus(spent, 410, 'invite_used')
    await expectStatus(login(invited.username, { password: 'another-password' }), 401)
    // The user's trail says so.
    const trail = await trailWith(() => call('GET', `/admin/audit?sub=${invited.user.id}`, { token: admin }), 'account.password_set')
    expect(trail.find((e) => e.action === 'account.password_set')).toMatchObject({ actor: 'invite' })
  })

  it('in a browser: a form page (strict CSP, no referrer) that posts back; the form sets the password', async () => {
    const invited = await createInvited(await adminToken())
    const page = await call('GET', `/auth/invite/${invited.token}`, { headers: { accept: 'text/html' } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*form-action 'self'/)
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(page.headers.get('vary')).toMatch(/\bAccept\b/)
    const html = await page.text()
    expect(html).toContain('<form method="post">')
    expect(html).toContain(invited.username)

    const form = (password: string) =>
      call('POST', `/auth/invite/${invited.token}`, {
        body: new URLSearchParams({ password }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      })
    const weak = await form('short')
    expect(weak.status).toBe(400)
    expect(await weak.text()).toContain('at least 8 characters')
    const done = await form('browser-password')
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('Password set')
    await logIn({ username: invited.username, password: 'browser-password' })
    const again = await form('browser-password-2')
    expect(again.status).toBe(410)
    expect(again.headers.get('content-type')).toMatch(/^text\/html/)
    // The same form from a client that does not ask for a page (a script): JSON.
    const scripted = await call('POST', `/auth/invite/${invited.token}`, { body: 'password=another-one-here', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(scripted.status).toBe(410)
    expect(await scripted.json()).toMatchObject({ error: { code: 'invite_used' } })
  })

  it('an unknown, malformed or expired invite is refused; nothing is hashed or stored for it', async () => {
    const admin = await adminToken()
    await expectStatus(setPassword('A'.repeat(43), 'long-enough-pw'), 404, 'invite_not_found')
    await expectStatus(setPassword('not-a-token', 'long-enough-pw'), 404, 'invite_not_found')
    await expectStatus(call('GET', '/auth/invite/..%2F..%2Fadmin'), 404)
    const invited = await createInvited(admin)
    await env
      .DB!.prepare('UPDATE invites SET expires_at = ? WHERE user_id = ?')
      .bind(Date.now() - 1, invited.user.id)
      .run()
    await expectStatus(setPassword(invited.token, 'long-enough-pw'), 410, 'invite_expired')
    await expectStatus(login(invited.username, { password: 'long-enough-pw' }), 401)
  })

  it('a reset (a new invite) keeps the password until it is used, kills older links, then ends every session', async () => {
    const admin = await adminToken()
    const first = await createInvited(admin)
    const reset = await call('POST', `/admin/users/${first.username}/invite`, { token: admin })
    expect(reset.status).toBe(201)
    const { invite_url } = (await reset.json()) as { invite_url: string }
    const token = invite_url.split('/').pop()!
    // The first link died with the reset.
    await expectStatus(setPassword(first.token, 'first-password'), 404)
    await expectStatus(setPassword(token, 'second-password'), 200)
    const u = { username: first.username, password: 'second-password' }
    const session = await logIn(u)
    expect((await call('GET', '/v1/audio', { token: session.access_token })).status).toBe(200)

    const again = (await (await call('POST', `/admin/users/${u.username}/invite`, { token: admin })).json()) as { invite_url: string }
    // Not used yet: the password and the session still work.
    expect((await call('GET', '/v1/audio', { token: session.access_token })).status).toBe(200)
    await logIn(u)
    await expectStatus(setPassword(again.invite_url.split('/').pop()!, 'third-password'), 200)
    await expectStatus(call('GET', '/v1/audio', { token: session.access_token }), 401)
    await expectStatus(call('POST', '/auth/refresh', { json: { refresh_token: session.refresh_token } }), 401)
    await expectStatus(login(u.username, { password: 'second-password' }), 401)
    await logIn({ username: u.username, password: 'third-password' })
    await expectStatus(call('POST', `/admin/users/nobody-${crypto.randomUUID().slice(0, 6)}/invite`, { token: admin }), 404)
  })
})

describe('POST /auth/password', () => {
  it('changes the password: this session stays, every other session ends', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const other = await logIn(u)
    const mine = await logIn(u)
    const res = await call('POST', '/auth/password', { token: mine.access_token, json: { current_password: u.password, new_password: 'brand-new-password' } })
    expect(res.status).toBe(204)
    expect((await call('GET', '/v1/audio', { token: mine.access_token })).status).toBe(200)
    expect((await call('POST', '/auth/refresh', { json: { refresh_token: mine.refresh_token } })).status).toBe(200)
    await expectStatus(call('GET', '/v1/audio', { token: other.access_token }), 401)
    await expectStatus(call('POST', '/auth/refresh', { json: { refresh_token: other.refresh_token } }), 401)
    await expectStatus(login(u.username, { password: u.password }), 401)
    await logIn({ username: u.username, password: 'brand-new-password' })
  })

  it('needs the current password, a fresh login, a good new password and a directory account', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const { access_token } = await logIn(u)
    await expectStatus(
      call('POST', '/auth/password', { token: access_token, json: { current_password: 'not-it-at-all', new_password: 'brand-new-password' } }),
      403,
      'wrong_password',
    )
    await expectStatus(call('POST', '/auth/password', { token: access_token, json: { current_password: u.password, new_password: 'short' } }), 400, 'weak_password')
    await expectStatus(call('POST', '/auth/password', { token: access_token, json: { current_password: u.password } }), 400)
    await expectStatus(call('POST', '/auth/password', { token: access_token, json: { current_password: u.password, new_password: 'brand-new-password', extra: 1 } }), 400)
    // A token from a login 10 minutes ago (here: one the edge signed for the same id back then).
    const stale = await tokenFor(u.user.id, { iat: Math.floor(Date.now() / 1000) - 600 })
    await expectStatus(call('POST', '/auth/password', { token: stale, json: { current_password: u.password, new_password: 'brand-new-password' } }), 401, 'reauth_required')
    // A guest token (not a directory account) has no password here.
    await expectStatus(
      call('POST', '/auth/password', { token: await tokenFor(uniqueUser()), json: { current_password: 'whatever-it-is', new_password: 'brand-new-password' } }),
      404,
    )
    await logIn(u)
  })
})

describe('sessions', () => {
  it('lists my sessions, marks this one, and ends another one at once', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const phone = await logIn(u)
    const browser = await login(u.username, { password: u.password, cookie: true })
    expect(browser.status).toBe(200)
    const mine = await logIn(u)
    const list = await call('GET', '/auth/sessions', { token: mine.access_token })
    expect(list.status).toBe(200)
    expect(list.headers.get('cache-control')).toMatch(/no-store/)
    const { items } = (await list.json()) as { items: { id: string; current: boolean; client: string; created_at: string; last_used_at: string; expires_at: string }[] }
    expect(items).toHaveLength(3)
    expect(items.filter((s) => s.current).map((s) => s.id)).toEqual([decodeJwt(mine.access_token).sid])
    expect(items.map((s) => s.client).sort()).toEqual(['bearer', 'bearer', 'cookie'])

    const phoneId = decodeJwt(phone.access_token).sid as string
    await expectStatus(call('DELETE', `/auth/sessions/${phoneId}`, { token: mine.access_token }), 204)
    await expectStatus(call('GET', '/v1/audio', { token: phone.access_token }), 401)
    await expectStatus(call('POST', '/auth/refresh', { json: { refresh_token: phone.refresh_token } }), 401)
    await expectStatus(call('DELETE', `/auth/sessions/${phoneId}`, { token: mine.access_token }), 404)
    const after = (await (await call('GET', '/auth/sessions', { token: mine.access_token })).json()) as { items: { id: string }[] }
    expect(after.items.map((s) => s.id)).not.toContain(phoneId)
    expect(after.items).toHaveLength(2)
  })

  it("a refresh moves last_used_at; another user's session id is not found", async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const v = await createUser(admin)
    const mine = await logIn(u)
    const theirs = await logIn(v)
    const before = ((await (await call('GET', '/auth/sessions', { token: mine.access_token })).json()) as { items: { last_used_at: string }[] }).items[0]!.last_used_at
    await new Promise((r) => setTimeout(r, 5))
    const refreshed = (await (await call('POST', '/auth/refresh', { json: { refresh_token: mine.refresh_token } })).json()) as { access_token: string }
    const after = ((await (await call('GET', '/auth/sessions', { token: refreshed.access_token })).json()) as { items: { last_used_at: string }[] }).items[0]!.last_used_at
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before))

    const theirId = decodeJwt(theirs.access_token).sid as string
    await expectStatus(call('DELETE', `/auth/sessions/${theirId}`, { token: mine.access_token }), 404)
    expect((await call('GET', '/v1/audio', { token: theirs.access_token })).status).toBe(200)
    await expectStatus(call('DELETE', `/auth/sessions/${'x'.repeat(300)}`, { token: mine.access_token }), 404)
    await expectStatus(call('GET', '/auth/sessions'), 401)
  })
})
