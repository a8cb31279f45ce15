import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { RevocationLedger } from '../src/users/revocation-ledger'
import { userKey } from '../src/auth/user-key'
import { schemaVersion } from '../src/sql/migrations'
import { SessionLedger } from '../src/users/session-ledger'
import { call, errorOf } from './support/api'
import { loggedIn, login } from './support/tokens'

/**
 * Refresh-token reuse detection that a client cannot talk its way out of (issue 13, finding 1): a
 * family records how it was issued (cookie or body); only cookie families get the 30 s grace, and a
 * token presented the other way is refused and kills the family.
 */

const refreshWithBody = (token: string) => call('POST', '/auth/refresh', { json: { refresh_token: token } })
const refreshWithCookie = (token: string) => call('POST', '/auth/refresh', { headers: { cookie: `__Host-refresh=${token}` } })

async function expectRefused(res: Response, code = 'invalid_grant') {
  expect(res.status).toBe(401)
  expect((await errorOf(res)).code).toBe(code)
}

const userObjectOf = async (name: string) => env.USERS.get(env.USERS.idFromName(await userKey('cosyvoice-edge', name)))

describe('a refresh token issued in a body', () => {
  it('replayed as a cookie after it was spent: 401, and the whole family is revoked (the thief cannot fork the session)', async () => {
    const first = await loggedIn('login-channel')
    const rotated = await refreshWithBody(first.refresh_token)
    expect(rotated.status).toBe(200)
    const second = (await rotated.json()) as { access_token: string; refresh_token: string }

    // The attack of the finding: the spent body token, dressed as the browser cookie.
    const replay = await refreshWithCookie(first.refresh_token)
    await expectRefused(replay)
    expect(replay.headers.getAll('set-cookie')).toEqual([])
    // A second try gets nothing either.
    await expectRefused(await refreshWithCookie(first.refresh_token))
    // The family is dead: the legitimate chain and every access token of it.
    await expectRefused(await refreshWithBody(second.refresh_token))
    await expectRefused(await call('GET', '/auth/me', { token: second.access_token }), 'invalid_token')
    await expectRefused(await call('GET', '/auth/me', { token: first.access_token }), 'invalid_token')
  })

  it('presented as a cookie before it was ever spent: refused, and the family revoked', async () => {
    const session = await loggedIn('login-channel')
    await expectRefused(await refreshWithCookie(session.refresh_token))
    await expectRefused(await refreshWithBody(session.refresh_token))
    await expectRefused(await call('GET', '/auth/me', { token: session.access_token }), 'invalid_token')
  })

  it('has no grace period: replayed in a body a moment after it was spent, the family dies', async () => {
    const first = await loggedIn('login-channel')
    const second = (await (await refreshWithBody(first.refresh_token)).json()) as { refresh_token: string }
    await expectRefused(await refreshWithBody(first.refresh_token))
    await expectRefused(await refreshWithBody(second.refresh_token))
  })

  it("does not touch the same user's other sessions", async () => {
    const victim = await loggedIn('login-channel')
    const bystander = await loggedIn('login-channel')
    await expectRefused(await refreshWithCookie(victim.refresh_token))
    expect((await call('GET', '/auth/me', { token: bystander.access_token })).status).toBe(200)
    expect((await refreshWithBody(bystander.refresh_token)).status).toBe(200)
  })
})

describe('a refresh token issued as a cookie', () => {
  async function cookieLogin(name: string) {
    const res = await login(name, { cookie: true })
    expect(res.status).toBe(200)
    const cookies = res.headers.getAll('set-cookie').map((c) => c.split(';')[0]!)
    const refresh = cookies.find((c) => c.startsWith('__Host-refresh='))!.slice('__Host-refresh='.length)
    const access = cookies.find((c) => c.startsWith('__Host-access='))!
    return { refresh, access }
  }

  it('sent in a JSON body instead: refused, and the family revoked', async () => {
    const { refresh, access } = await cookieLogin('login-channel-cookie')
    await expectRefused(await refreshWithBody(refresh))
    await expectRefused(await refreshWithCookie(refresh))
    await expectRefused(await call('GET', '/auth/me', { headers: { cookie: access } }), 'invalid_token')
  })

  it('keeps its grace for two tabs, and a spent cookie outside the grace still revokes the family', async () => {
    const { refresh } = await cookieLogin('login-channel-grace')
    const tab1 = await refreshWithCookie(refresh)
    expect(tab1.status).toBe(200)
    const tab2 = await refreshWithCookie(refresh)
    expect(tab2.status).toBe(200)
    const newest = tab2.headers
      .getAll('set-cookie')
      .find((c) => c.startsWith('__Host-refresh='))!
      .split(';')[0]!
      .slice('__Host-refresh='.length)
    // Within the grace, but in a body: the channel is checked before the grace.
    await expectRefused(await refreshWithBody(refresh))
    await expectRefused(await refreshWithCookie(newest))
  })

  it('outside the grace, the spent cookie is a reuse: 401 and the family dies', async () => {
    const { refresh } = await cookieLogin('login-channel-grace')
    const next = (await refreshWithCookie(refresh)).headers
      .getAll('set-cookie')
      .find((c) => c.startsWith('__Host-refresh='))!
      .split(';')[0]!
      .slice('__Host-refresh='.length)
    // Time is moved by ageing the spend in the user's object rather than by sleeping.
    await runInDurableObject(await userObjectOf('login-channel-grace'), (_instance, state) => {
      state.storage.sql.exec('UPDATE refresh_tokens SET spent_at = spent_at - 31000 WHERE spent_at IS NOT NULL')
    })
    await expectRefused(await refreshWithCookie(refresh))
    await expectRefused(await refreshWithCookie(next))
  })
})

describe('the session ledger schema', () => {
  it('upgrades an object from before versioning: old families keep working, strictly, without a grace', async () => {
    const stub = env.USERS.get(env.USERS.idFromName(`legacy-${crypto.randomUUID()}`))
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql
      // The object as the previous release left it: no version row, no spent_at, no issued_as.
      sql.exec('DROP TABLE sessions; DROP TABLE refresh_tokens; DROP TABLE session_access')
      sql.exec("DELETE FROM schema_versions WHERE ledger = 'sessions'")
      sql.exec(`
        CREATE TABLE sessions (id TEXT PRIMARY KEY, sub TEXT NOT NULL, auth_time INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE refresh_tokens (hash TEXT PRIMARY KEY, session TEXT NOT NULL, spent INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE session_access (jti TEXT PRIMARY KEY, session TEXT NOT NULL, expires_at INTEGER NOT NULL);
      `)
      const now = Date.now()
      sql.exec("INSERT INTO sessions (id, sub, auth_time, expires_at) VALUES ('old', 'alice', 1, ?)", now + 3_600_000)
      sql.exec("INSERT INTO refresh_tokens (hash, session) VALUES ('h1', 'old')")

      const ledger = new SessionLedger(sql, new RevocationLedger(sql))
      expect(schemaVersion(sql, 'sessions')).toBe(3)
      const access = { jti: 'j', expiresAt: now + 60_000 }
      // Either channel is accepted for a family whose channel nobody recorded…
      expect(ledger.rotate('h1', 'h2', access, now, 'cookie')).toMatchObject({ ok: true, session: 'old' })
      // …but a spent token is a reuse at once, even as a cookie within 30 s.
      expect(ledger.rotate('h1', 'h3', { ...access, jti: 'k' }, now + 1000, 'cookie')).toMatchObject({ ok: false, reason: 'reused' })
      expect(ledger.rotate('h2', 'h4', { ...access, jti: 'l' }, now + 1000, 'body')).toMatchObject({ ok: false, reason: 'revoked' })
    })
  })
})
