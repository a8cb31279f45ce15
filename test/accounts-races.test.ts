import { describe, expect, it } from 'vitest'
import { call } from './support/api'
import { adminToken, createInvited, createUser, expectStatus, getUser, logIn, patchUser, uniqueName, type UserView } from './support/accounts'
import { login } from './support/tokens'

/**
 * Each race has one defined outcome (README, "Accounts"), checked here by running both sides at
 * once, several times: the interleaving changes from run to run, the outcome must not.
 */
const ROUNDS = 4

describe('two admins changing one user', () => {
  it('from the same view (If-Match): exactly one change is made, the other gets 412', async () => {
    const admin = await adminToken()
    const other = await adminToken()
    for (let i = 0; i < ROUNDS; i++) {
      const u = await createUser(admin)
      const { etag } = await getUser(admin, u.username)
      const [a, b] = await Promise.all([
        patchUser(admin, u.username, { role: 'premium' }, { 'if-match': etag }),
        patchUser(other, u.username, { status: 'disabled' }, { 'if-match': etag }),
      ])
      expect([a.status, b.status].sort()).toEqual([200, 412])
      const final = (await getUser(admin, u.username)).user
      expect(final).toMatchObject(a.status === 200 ? { role: 'premium', status: 'active' } : { role: 'free', status: 'disabled' })
    }
  })

  it("blind (no If-Match): both apply in one order, and the user's object ends in the state the directory shows", async () => {
    const admin = await adminToken()
    const other = await adminToken()
    for (let i = 0; i < ROUNDS; i++) {
      const u = await createUser(admin)
      const session = await logIn(u)
      const [a, b] = await Promise.all([patchUser(admin, u.username, { status: 'disabled' }), patchUser(other, u.username, { status: 'active', role: 'premium' })])
      expect([a.status, b.status]).toEqual([200, 200])
      // Each answer shows the state right after its own change; the later version is the final state.
      const etags = [a, b].map((r) => Number(/"v(\d+)"/.exec(r.headers.get('etag')!)![1]))
      expect(etags.sort()).toEqual([2, 3])
      const last = (a.headers.get('etag') === '"v3"' ? await a.json() : await b.json()) as { user: UserView }
      const { user } = await getUser(admin, u.username)
      expect(user).toMatchObject({ role: last.user.role, status: last.user.status, updated_at: last.user.updated_at })
      // The user's object agrees with the directory whatever order the deliveries reached it in.
      if (user.status === 'disabled') {
        await expectStatus(login(u.username, { password: u.password }), 403, 'account_disabled')
        await expectStatus(call('GET', '/v1/audio', { token: session.access_token }), 401)
      } else {
        // The enable came last. The object may have seen the disable or skipped straight to this
        // state; either way the old token lost the old role, and the account is open.
        expect(user.role).toBe('premium')
        await expectStatus(call('GET', '/v1/audio', { token: session.access_token }), 401)
        const fresh = await logIn(u)
        expect((await call('GET', '/v1/usage', { token: fresh.access_token })).status).toBe(200)
      }
    }
  })
})

describe('a login racing a disable', () => {
  it('the login fails, or its tokens are dead by the time the disable has answered, for good: never a live session', async () => {
    const admin = await adminToken()
    // The disable starts at different moments of the login (before its lookup, during its password
    // check, around its session start): not a timing assertion, only a spread of interleavings.
    for (const delayMs of [0, 10, 30, 60, 100, 160]) {
      const u = await createUser(admin)
      const disabling = new Promise<Response>((resolve) => setTimeout(() => resolve(patchUser(admin, u.username, { status: 'disabled' })), delayMs))
      const [loginRes, disabled] = await Promise.all([login(u.username, { password: u.password }), disabling])
      expect(disabled.status).toBe(200)
      expect([200, 403]).toContain(loginRes.status)
      const tokens = loginRes.status === 200 ? ((await loginRes.json()) as { access_token: string; refresh_token: string }) : null
      if (tokens) {
        await expectStatus(call('GET', '/auth/me', { token: tokens.access_token }), 401, 'invalid_token')
        await expectStatus(call('POST', '/v1/tts', { token: tokens.access_token, json: { text: 'Hi.', mode: 'sft', speaker: '英文女' } }), 401)
        await expectStatus(call('POST', '/auth/refresh', { json: { refresh_token: tokens.refresh_token } }), 401, 'invalid_grant')
      } else {
        await expectStatus(loginRes, 403, 'account_disabled')
      }
      await expectStatus(login(u.username, { password: u.password }), 403, 'account_disabled')
      // Enabled again: a new login works, the raced login's tokens stay dead.
      await expectStatus(patchUser(admin, u.username, { status: 'active' }), 200)
      await logIn(u)
      if (tokens) {
        await expectStatus(call('GET', '/auth/me', { token: tokens.access_token }), 401)
        await expectStatus(call('POST', '/auth/refresh', { json: { refresh_token: tokens.refresh_token } }), 401)
      }
    }
  })
})

describe('an invite used twice', () => {
  it('at once: exactly one sets the password, the other gets 410 invite_used', async () => {
    const admin = await adminToken()
    for (let i = 0; i < ROUNDS; i++) {
      const invited = await createInvited(admin)
      const results = await Promise.all(['first-password', 'second-password'].map((password) => call('POST', `/auth/invite/${invited.token}`, { json: { password } })))
      expect(results.map((r) => r.status).sort()).toEqual([200, 410])
      const winner = results[0]!.status === 200 ? 'first-password' : 'second-password'
      const loser = winner === 'first-password' ? 'second-password' : 'first-password'
      await expectStatus(results.find((r) => r.status === 410)!, 410, 'invite_used')
      await logIn({ username: invited.username, password: winner })
      await expectStatus(login(invited.username, { password: loser }), 401)
    }
  })
})

describe('usernames that differ only in case or Unicode form', () => {
  it('are one name: a second account is refused, and every form finds and logs in the first', async () => {
    const admin = await adminToken()
    const tag = crypto.randomUUID().slice(0, 6)
    // "Zoë" precomposed (NFC); the same in decomposed form, in capitals, in full-width letters.
    const nfc = `Zo\u00eb-${tag}`
    const forms = [`Zoe\u0308-${tag}`, `ZO\u00cb-${tag}`, `zo\u00eb-${tag}`, `\uff3a\uff4f\u00eb-${tag}`, `ZOE\u0308-${tag.toUpperCase()}`]
    const u = await createUser(admin, { username: nfc })
    expect(u.user.username).toBe(nfc)
    for (const form of forms) {
      await expectStatus(call('POST', '/admin/users', { token: admin, json: { username: form, role: 'admin', password: 'long-enough-pw' } }), 409, 'username_taken')
      expect((await getUser(admin, form)).user.id).toBe(u.user.id)
      await logIn({ username: form, password: u.password })
    }
    // "ß" and "SS" fold together, as do the final and medial sigma.
    const street = await createUser(admin, { username: `stra\u00dfe-${tag}` })
    await expectStatus(call('POST', '/admin/users', { token: admin, json: { username: `STRASSE-${tag}`, role: 'free', password: 'long-enough-pw' } }), 409)
    expect((await getUser(admin, `strasse-${tag}`)).user.id).toBe(street.user.id)
  })

  it('created at the same time: exactly one account', async () => {
    const admin = await adminToken()
    for (let i = 0; i < ROUNDS; i++) {
      const name = uniqueName('Dana')
      const results = await Promise.all(
        [name, name.toUpperCase(), name.normalize('NFKC').replace('a', '\uff41')].map((username) =>
          call('POST', '/admin/users', { token: admin, json: { username, role: 'free', password: 'long-enough-pw' } }),
        ),
      )
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409])
      const listed = (await (await call('GET', `/admin/users?search=${name}`, { token: admin })).json()) as { items: UserView[] }
      expect(listed.items).toHaveLength(1)
    }
  })

  it('failed logins are counted once per name, whatever its spelling', async () => {
    const admin = await adminToken()
    const u = await createUser(admin, { username: uniqueName('Guess') })
    const spellings = [u.username, u.username.toUpperCase(), u.username.toLowerCase(), u.username.replace('G', '\uff27'), u.username.toUpperCase()]
    for (const name of spellings) await expectStatus(login(name, { password: 'wrong-password' }), 401)
    await expectStatus(login(u.username.toLowerCase(), { password: u.password }), 429, 'too_many_attempts')
  })
})
