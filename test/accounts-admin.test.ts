import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { decodeJwt } from 'jose'
import worker from '../src/index'
import { TEST_PASSWORD } from './support/auth-fixtures'
import { describe, expect, it } from 'vitest'
import { call, errorOf } from './support/api'
import { adminToken, createUser, expectStatus, getUser, logIn, patchUser, trailWith, uniqueName, type UserView } from './support/accounts'
import { tenantToken } from './support/idp'
import { synthesizeStored } from './support/stored-audio'
import { login, tokenFor, uniqueIp, uniqueUser } from './support/tokens'

const sft = { text: 'Hello.', mode: 'sft', speaker: '英文女' }

/** Waits into the next whole second (token times are whole seconds). */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5))

describe('POST /admin/users', () => {
  it('creates a user with a password: 201, a stable id that is not the name, and they can log in', async () => {
    const admin = await adminToken()
    const username = uniqueName('Created')
    const res = await call('POST', '/admin/users', { token: admin, json: { username, role: 'premium', password: 'a-good-password' } })
    expect(res.status).toBe(201)
    expect(res.headers.get('location')).toBe(`/admin/users/${username}`)
    expect(res.headers.get('etag')).toBe('"v1"')
    const { user } = (await res.json()) as { user: UserView; invite_url?: string }
    expect(user).toMatchObject({ username, role: 'premium', tier: 'premium', status: 'active', password_set: true, last_login_at: null })
    expect(user.id).toMatch(/^u_[A-Za-z0-9_-]{22}$/)

    const tokens = await logIn({ username, password: 'a-good-password' })
    const claims = decodeJwt(tokens.access_token)
    // The token's subject is the stable id, never the (reusable) name.
    expect(claims).toMatchObject({ sub: user.id, role: 'premium' })
    const me = (await (await call('GET', '/auth/account', { token: tokens.access_token })).json()) as { user: UserView }
    expect(me.user).toMatchObject({ id: user.id, username, role: 'premium' })
    await expect.poll(async () => (await getUser(admin, username)).user.last_login_at).not.toBeNull()
  })

  it('refuses bad input with a clear 400 and stores nothing', async () => {
    const admin = await adminToken()
    const name = uniqueName()
    const cases: [unknown, string][] = [
      [{ username: 'has space', role: 'free', password: 'long-enough' }, 'invalid_username'],
      [{ username: '', role: 'free', password: 'long-enough' }, 'invalid_username'],
      [{ username: 'a\u200db', role: 'free', password: 'long-enough' }, 'invalid_username'],
      [{ username: 'x'.repeat(65), role: 'free', password: 'long-enough' }, 'invalid_username'],
      [{ username: name, role: 'emperor', password: 'long-enough' }, 'invalid_role'],
      [{ username: name, password: 'long-enough' }, 'invalid_request'],
      [{ username: name, role: 'free', password: 'short' }, 'weak_password'],
      [{ username: name, role: 'free', password: 42 }, 'invalid_request'],
      [{ username: name, role: 'free', pasword: 'typo-in-field' }, 'invalid_request'],
      [['not', 'an', 'object'], 'invalid_request'],
    ]
    for (const [json, code] of cases) await expectStatus(call('POST', '/admin/users', { token: admin, json }), 400, code)
    await expectStatus(call('GET', `/admin/users/${name}`, { token: admin }), 404, 'not_found')
    await expectStatus(call('POST', '/admin/users', { token: admin, body: 'username=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415)
  })

  it('roles are the tiers of TIERS, custom ones included', async () => {
    const admin = await adminToken()
    const created = await createUser(admin, { role: 'burst' })
    expect(created.user).toMatchObject({ role: 'burst', tier: 'burst' })
  })

  it('only an admin with the admin scope may manage users', async () => {
    const free = await tokenFor(uniqueUser())
    const narrowAdmin = await tokenFor(uniqueUser('admin'), { role: 'admin', scope: 'tts audio' })
    for (const token of [free, narrowAdmin]) {
      const res = await call('POST', '/admin/users', { token, json: { username: uniqueName(), role: 'admin', password: 'long-enough' } })
      expect(res.status).toBe(403)
      expect(res.headers.get('www-authenticate')).toMatch(/insufficient_scope/)
      await expectStatus(call('GET', '/admin/users', { token }), 403, 'insufficient_scope')
    }
    await expectStatus(call('GET', '/admin/users'), 401, 'invalid_token')
  })

  it("an identity provider's admin (reach: its own issuer) cannot touch the edge's accounts", async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const okta = await tenantToken('okta', { groups: ['cosyvoice-admins'], scp: ['admin', 'tts', 'audio'] })
    expect(((await (await call('GET', '/auth/me', { token: okta })).json()) as { role: string }).role).toBe('admin')
    await expectStatus(call('GET', '/admin/users', { token: okta }), 403, 'insufficient_scope')
    await expectStatus(call('POST', '/admin/users', { token: okta, json: { username: uniqueName(), role: 'admin', password: 'long-enough-pw' } }), 403, 'insufficient_scope')
    await expectStatus(patchUser(okta, u.username, { role: 'admin' }), 403, 'insufficient_scope')
    await expectStatus(call('DELETE', `/admin/users/${u.username}`, { token: okta }), 403, 'insufficient_scope')
    const session = await logIn(u)
    await expectStatus(call('POST', `/admin/users/${u.username}/revoke`, { token: okta }), 403, 'insufficient_scope')
    expect((await call('GET', '/v1/audio', { token: session.access_token })).status).toBe(200)
    expect((await getUser(admin, u.username)).user).toMatchObject({ role: 'free', status: 'active' })
  })
})

describe('GET /admin/users', () => {
  it('lists and searches users in name order, paginated, with tier and usage', async () => {
    const admin = await adminToken()
    const tag = uniqueName('list')
    const a = await createUser(admin, { username: `${tag}-a`, role: 'premium' })
    await createUser(admin, { username: `${tag}-b` })
    await createUser(admin, { username: `${tag}-c`, role: 'burst' })
    await synthesizeStored((await logIn(a)).access_token, sft)

    const first = await call('GET', `/admin/users?search=${tag.toUpperCase()}&limit=2`, { token: admin })
    expect(first.status).toBe(200)
    const page1 = (await first.json()) as { items: (UserView & { usage: Record<string, number> })[]; cursor: string | null }
    expect(page1.items.map((u) => u.username)).toEqual([`${tag}-a`, `${tag}-b`])
    expect(page1.items[0]).toMatchObject({ tier: 'premium', usage: { syntheses_today: 1, syntheses_running: 0 } })
    expect(page1.items[0]!.usage.stored_bytes).toBeGreaterThan(44)
    expect(page1.items[1]!.usage).toEqual({ syntheses_today: 0, syntheses_running: 0, stored_bytes: 0 })
    expect(page1.cursor).toBeTruthy()

    const page2 = (await (await call('GET', `/admin/users?search=${tag}&limit=2&cursor=${page1.cursor}`, { token: admin })).json()) as typeof page1
    expect(page2.items.map((u) => u.username)).toEqual([`${tag}-c`])
    expect(page2.cursor).toBeNull()

    await expectStatus(call('GET', '/admin/users?limit=0', { token: admin }), 400)
    await expectStatus(call('GET', '/admin/users?limit=101', { token: admin }), 400)
    await expectStatus(call('GET', '/admin/users?cursor=%%%', { token: admin }), 400, 'invalid_cursor')
  })

  it('the accounts of the legacy AUTH_USERS secret were imported once, keeping their old sub as id', async () => {
    const { user } = await getUser(await adminToken(), 'login-basic')
    expect(user).toMatchObject({ id: 'login-basic', username: 'login-basic', role: 'premium', status: 'active', password_set: true })
  })
})

describe('AUTH_USERS, migrated once', () => {
  /** A Worker whose AUTH_USERS is `users` (a fresh env object: a fresh isolate's view of its settings). */
  async function loginWith(authUsers: string, username: string) {
    const ctx = createExecutionContext()
    const req = new Request('https://edge.test/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': uniqueIp() },
      body: JSON.stringify({ username, password: TEST_PASSWORD }),
    })
    const res = await worker.fetch(req, { ...env, AUTH_USERS: authUsers }, ctx)
    await waitOnExecutionContext(ctx)
    return res
  }

  it('a line the old CLI wrote (every $ as \\$, kept by wrangler) is imported; after a deletion it is not imported again', async () => {
    const name = uniqueName('legacy')
    const hash = JSON.parse(env.AUTH_USERS!)['login-basic'].password as string
    const escaped = JSON.stringify({ [name]: { role: 'emperor', password: hash } }).replace(/\$/g, '\\$')
    const res = await loginWith(escaped, name)
    expect(res.status).toBe(200)
    expect(decodeJwt(((await res.json()) as { access_token: string }).access_token)).toMatchObject({ sub: name, role: 'free' })
    const admin = await adminToken()
    expect((await getUser(admin, name)).user).toMatchObject({ id: name, role: 'free' })

    await expectStatus(call('DELETE', `/admin/users/${name}`, { token: admin }), 202)
    await expectStatus(loginWith(escaped, name), 401, 'invalid_credentials')
    await expectStatus(call('GET', `/admin/users/${name}`, { token: admin }), 404)
  })
})

describe('PATCH /admin/users/<username>', () => {
  it('a downgrade takes the old rights away from existing tokens at once; a refresh carries the new role', async () => {
    const admin = await adminToken()
    const u = await createUser(admin, { role: 'premium' })
    const tokens = await logIn(u)
    expect(((await (await call('GET', '/v1/usage', { token: tokens.access_token })).json()) as { tier: string }).tier).toBe('premium')

    const res = await patchUser(admin, u.username, { role: 'free' })
    expect(res.status).toBe(200)
    expect(res.headers.get('etag')).toBe('"v2"')
    expect(((await res.json()) as { user: UserView }).user).toMatchObject({ role: 'free', tier: 'free' })

    // The premium token no longer works, for anything (synthesis checks in the user's object).
    await expectStatus(call('GET', '/v1/usage', { token: tokens.access_token }), 401, 'invalid_token')
    await expectStatus(call('POST', '/v1/tts', { token: tokens.access_token, json: sft }), 401, 'invalid_token')
    // The session itself lives on: a refresh gets a token with the new role.
    const refreshed = await call('POST', '/auth/refresh', { json: { refresh_token: tokens.refresh_token } })
    expect(refreshed.status).toBe(200)
    const next = (await refreshed.json()) as { access_token: string }
    expect(decodeJwt(next.access_token).role).toBe('free')
    expect(((await (await call('GET', '/v1/usage', { token: next.access_token })).json()) as { tier: string }).tier).toBe('free')
    // And the next login too.
    expect(decodeJwt((await logIn(u)).access_token).role).toBe('free')
  })

  it('disabling ends every session at once; enabling lets new logins in, never the old tokens', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const a = await logIn(u)
    expect((await call('GET', '/v1/audio', { token: a.access_token })).status).toBe(200)

    await expectStatus(patchUser(admin, u.username, { status: 'disabled' }), 200)
    await expectStatus(call('GET', '/v1/audio', { token: a.access_token }), 401, 'invalid_token')
    await expectStatus(call('POST', '/v1/tts', { token: a.access_token, json: sft }), 401, 'invalid_token')
    await expectStatus(call('POST', '/auth/refresh', { json: { refresh_token: a.refresh_token } }), 401, 'invalid_grant')
    // The right password gets a clear refusal; a wrong one the usual generic one.
    await expectStatus(login(u.username, { password: u.password }), 403, 'account_disabled')
    await expectStatus(login(u.username, { password: 'wrong-password' }), 401, 'invalid_credentials')
    expect((await getUser(admin, u.username)).user.status).toBe('disabled')

    await expectStatus(patchUser(admin, u.username, { status: 'active' }), 200)
    await nextSecond()
    const again = await logIn(u)
    expect((await call('GET', '/v1/audio', { token: again.access_token })).status).toBe(200)
    await expectStatus(call('GET', '/v1/audio', { token: a.access_token }), 401)
    await expectStatus(call('POST', '/auth/refresh', { json: { refresh_token: a.refresh_token } }), 401)
  })

  it('signing a user out everywhere ends every session and token, by the name an admin types; the account stays usable', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const a = await logIn(u)
    const other = await logIn(await createUser(admin))
    await expectStatus(call('POST', `/admin/users/${u.username.toUpperCase()}/revoke`, { token: admin }), 200)
    await expectStatus(call('GET', '/v1/audio', { token: a.access_token }), 401, 'invalid_token')
    await expectStatus(call('POST', '/auth/refresh', { json: { refresh_token: a.refresh_token } }), 401, 'invalid_grant')
    // Nobody else is signed out, and the account logs in again.
    expect((await call('GET', '/v1/audio', { token: other.access_token })).status).toBe(200)
    // Tokens carry whole seconds: one issued in the second of the revocation is revoked too.
    await nextSecond()
    const again = await logIn(u)
    expect((await call('GET', '/v1/audio', { token: again.access_token })).status).toBe(200)
    expect((await getUser(admin, u.username)).user.status).toBe('active')
    const trail = await trailWith(() => call('GET', `/admin/audit?sub=${u.user.id}`, { token: admin }), 'account.revoke')
    expect(trail.find((e) => e.action === 'account.revoke')?.actor).toMatch(/^admin:/)

    await expectStatus(call('POST', `/admin/users/${uniqueName()}/revoke`, { token: admin }), 404, 'not_found')
    await expectStatus(call('POST', `/admin/users/${u.username}/revoke`, { token: a.access_token }), 401)
    await expectStatus(call('POST', `/admin/users/${u.username}/revoke`, { token: again.access_token }), 403, 'insufficient_scope')
  })

  it('a disabled account is refused even a token an admin mints for it later, and its shares and links stop', async () => {
    const admin = await adminToken({})
    const u = await createUser(admin)
    const { access_token } = await logIn(u)
    const audio = await synthesizeStored(access_token, sft)
    const share = (await (await call('POST', `/v1/audio/${audio.id}/shares`, { token: access_token, json: { ttl_seconds: 600 } })).json()) as { share_id: string }
    const link = (await (await call('POST', `/v1/audio/${audio.id}/link`, { token: access_token, json: {} })).json()) as { url: string }
    expect((await call('GET', `/s/${share.share_id}/audio`)).status).toBe(200)

    await expectStatus(patchUser(admin, u.username, { status: 'disabled' }), 200)
    // To their visitors, neutral: "not available", nothing said of why (moderation's suspension).
    await expectStatus(call('GET', `/s/${share.share_id}/audio`), 410, 'not_available')
    await expectStatus(call('GET', new URL(link.url).pathname), 410, 'not_available')
    const minted = (await (await call('POST', '/admin/tokens', { token: admin, json: { sub: u.user.id, role: 'free', ttl_seconds: 300 } })).json()) as { token: string }
    await expectStatus(call('GET', '/v1/audio', { token: minted.token }), 401)
    await expectStatus(call('POST', '/v1/tts', { token: minted.token, json: sft }), 401)

    await expectStatus(patchUser(admin, u.username, { status: 'active' }), 200)
    expect((await call('GET', `/s/${share.share_id}/audio`)).status).toBe(200)
    expect((await call('GET', new URL(link.url).pathname)).status).toBe(200)
  })

  it('If-Match: an edit made from a stale view is refused with 412 and changes nothing', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const { etag } = await getUser(admin, u.username)
    await expectStatus(patchUser(admin, u.username, { role: 'premium' }, { 'if-match': etag }), 200)
    await expectStatus(patchUser(admin, u.username, { status: 'disabled' }, { 'if-match': etag }), 412, 'precondition_failed')
    await expectStatus(patchUser(admin, u.username, { status: 'disabled' }, { 'if-match': 'W/"v2"' }), 412)
    const now = await getUser(admin, u.username)
    expect(now.user).toMatchObject({ role: 'premium', status: 'active' })
    expect(now.etag).toBe('"v2"')
  })

  it('refuses bad changes: unknown fields, roles, statuses, an empty change, an unknown user', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    await expectStatus(patchUser(admin, u.username, {}), 400, 'invalid_request')
    await expectStatus(patchUser(admin, u.username, { stauts: 'disabled' }), 400, 'invalid_request')
    await expectStatus(patchUser(admin, u.username, { role: 'emperor' }), 400, 'invalid_role')
    await expectStatus(patchUser(admin, u.username, { status: 'banned' }), 400, 'invalid_request')
    await expectStatus(patchUser(admin, uniqueName('nobody'), { role: 'free' }), 404, 'not_found')
    expect((await getUser(admin, u.username)).etag).toBe('"v1"')
  })

  it('an admin cannot disable, demote or delete their own account', async () => {
    const bootstrap = await adminToken()
    const me = await createUser(bootstrap, { role: 'admin' })
    const mine = (await logIn(me)).access_token
    await expectStatus(patchUser(mine, me.username, { status: 'disabled' }), 409, 'own_account')
    await expectStatus(patchUser(mine, me.username, { role: 'free' }), 409, 'own_account')
    await expectStatus(call('DELETE', `/admin/users/${me.username}`, { token: mine }), 409, 'own_account')
    await expectStatus(patchUser(mine, me.username, { role: 'admin' }), 200)
  })

  it("each change is in the admin's audit trail and in the user's own, with the admin as actor", async () => {
    const adminSub = uniqueUser('auditor')
    const admin = await tokenFor(adminSub, { role: 'admin' })
    const u = await createUser(admin)
    await expectStatus(patchUser(admin, u.username, { role: 'premium', status: 'disabled' }), 200)
    const mine = await trailWith(() => call('GET', '/v1/audit', { token: admin }), 'admin.user_update')
    expect(mine.find((e) => e.action === 'admin.user_update')).toMatchObject({ resource: u.username })
    expect(mine.map((e) => e.action)).toContain('admin.user_create')
    const theirs = await trailWith(() => call('GET', `/admin/audit?sub=${u.user.id}`, { token: admin }), 'account.update')
    expect(theirs.find((e) => e.action === 'account.update')).toMatchObject({ actor: `admin:${adminSub}`, detail: { role: 'premium', status: 'disabled' } })
    expect(theirs.find((e) => e.action === 'account.create')).toMatchObject({ actor: `admin:${adminSub}` })
  })
})

describe('errors of the admin API', () => {
  it('never a 500 for client input', async () => {
    const admin = await adminToken()
    const res = await call('POST', '/admin/users', { token: admin, body: '{not json', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).code).toBe('invalid_json')
    await expectStatus(call('GET', `/admin/users/${encodeURIComponent('%E0%A4%A')}`, { token: admin }), 404)
    await expectStatus(call('GET', '/admin/jobs/nope', { token: admin }), 404)
  })
})
