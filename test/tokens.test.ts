import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { userKey } from '../src/auth/user-key'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { call, errorOf } from './support/api'
import { originRecords } from './support/origin'
import { loggedIn, login, tokenFor, uniqueIp, uniqueUser } from './support/tokens'

const sft = { text: '你好', mode: 'sft', speaker: '中文女' }

async function expectInvalid(res: Response, code = 'invalid_token') {
  expect(res.status).toBe(401)
  expect((await errorOf(res)).code).toBe(code)
}

describe('login', () => {
  it('answers an access token, its lifetime and a refresh token', async () => {
    const res = await login('login-basic')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 })
    const claims = decodeJwt(body.access_token as string)
    expect(claims).toMatchObject({ sub: 'login-basic', role: 'premium', iss: 'cosyvoice-edge', aud: 'cosyvoice-edge' })
    expect(claims.exp! - claims.iat!).toBe(3600)
    expect(typeof claims.jti).toBe('string')
    expect(typeof body.refresh_token).toBe('string')

    const me = await call('GET', '/auth/me', { token: body.access_token as string })
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({
      sub: 'login-basic',
      role: 'premium',
      scopes: ['tts', 'audio', 'voices', 'share'],
      jti: claims.jti,
      expires_at: new Date(claims.exp! * 1000).toISOString(),
    })
  })

  it('answers the same 401 for a wrong password and an unknown user', async () => {
    const wrong = await login('login-basic', { password: 'not-the-password' })
    const unknown = await login(`nobody-${crypto.randomUUID()}`)
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401)
      expect(await errorOf(res)).toMatchObject({ code: 'invalid_credentials', message: 'invalid username or password' })
    }
  })

  it('refuses a body without username and password', async () => {
    const res = await call('POST', '/auth/login', { json: { username: 'login-basic' } })
    expect(res.status).toBe(400)
  })
})

describe('refresh tokens', () => {
  it('rotate: the new pair works, the old refresh token is spent', async () => {
    const first = await loggedIn('login-rotate')
    const res = await call('POST', '/auth/refresh', { json: { refresh_token: first.refresh_token } })
    expect(res.status).toBe(200)
    const second = (await res.json()) as { access_token: string; refresh_token: string }
    expect(second.refresh_token).not.toBe(first.refresh_token)
    const claims = decodeJwt(second.access_token)
    // Same session, same login time: refreshing never makes a token "fresh".
    expect(claims.sid).toBe(decodeJwt(first.access_token).sid)
    expect(claims.auth_time).toBe(decodeJwt(first.access_token).auth_time)
    expect((await call('GET', '/v1/audio', { token: second.access_token })).status).toBe(200)
  })

  it('reuse of a spent refresh token revokes the whole family', async () => {
    const first = await loggedIn('login-reuse')
    const second = (await (await call('POST', '/auth/refresh', { json: { refresh_token: first.refresh_token } })).json()) as { access_token: string; refresh_token: string }
    expect((await call('GET', '/v1/audio', { token: second.access_token })).status).toBe(200)

    // The replay (a thief, or the user after the thief): refused, and the family dies.
    await expectInvalid(await call('POST', '/auth/refresh', { json: { refresh_token: first.refresh_token } }), 'invalid_grant')
    await expectInvalid(await call('POST', '/auth/refresh', { json: { refresh_token: second.refresh_token } }), 'invalid_grant')
    await expectInvalid(await call('GET', '/v1/audio', { token: second.access_token }))
    await expectInvalid(await call('GET', '/v1/audio', { token: first.access_token }))
  })

  it('refuses a made-up refresh token', async () => {
    await expectInvalid(await call('POST', '/auth/refresh', { json: { refresh_token: `${'x'.repeat(43)}.${'y'.repeat(43)}` } }), 'invalid_grant')
    await expectInvalid(await call('POST', '/auth/refresh', { json: { refresh_token: 'nonsense' } }), 'invalid_grant')
  })
})

describe('logout and revocation', () => {
  it('logout ends the session: its access and refresh tokens stop working', async () => {
    const session = await loggedIn('login-logout')
    const other = await loggedIn('login-logout')
    const res = await call('POST', '/auth/logout', { token: session.access_token })
    expect(res.status).toBe(204)
    await expectInvalid(await call('GET', '/v1/audio', { token: session.access_token }))
    await expectInvalid(await call('POST', '/auth/refresh', { json: { refresh_token: session.refresh_token } }), 'invalid_grant')
    // Another session of the same user is untouched.
    expect((await call('GET', '/v1/audio', { token: other.access_token })).status).toBe(200)
  })

  it('an admin revokes one jti: 401 on the very next request, other tokens unaffected', async () => {
    const admin = await tokenFor(uniqueUser('admin'), { role: 'admin' })
    const victim = await loggedIn('login-revoke')
    const bystander = await loggedIn('login-revoke')
    expect((await call('GET', '/v1/audio', { token: victim.access_token })).status).toBe(200)
    const jti = decodeJwt(victim.access_token).jti
    const res = await call('POST', '/admin/revoke', { token: admin, json: { jti } })
    expect(res.status).toBe(200)
    await expectInvalid(await call('GET', '/v1/audio', { token: victim.access_token }))
    // Its login session ends with it: the refresh token cannot mint a replacement.
    await expectInvalid(await call('POST', '/auth/refresh', { json: { refresh_token: victim.refresh_token } }), 'invalid_grant')
    const tts = await call('POST', '/v1/tts', { token: victim.access_token, json: sft })
    await expectInvalid(tts)
    expect(await originRecords(tts.headers.get('x-request-id')!)).toEqual([])
    expect((await call('GET', '/v1/audio', { token: bystander.access_token })).status).toBe(200)
  })

  it('an admin revokes a sub: every token issued before now dies', async () => {
    const admin = await tokenFor(uniqueUser('admin'), { role: 'admin' })
    const sub = uniqueUser()
    const iat = Math.floor(Date.now() / 1000) - 5
    const tokens = [await tokenFor(sub, { iat }), await tokenFor(sub, { iat, scope: 'tts' })]
    expect((await call('POST', '/admin/revoke', { token: admin, json: { sub, issuer: 'cosyvoice-edge' } })).status).toBe(200)
    await expectInvalid(await call('GET', '/v1/audio', { token: tokens[0] }))
    await expectInvalid(await call('POST', '/v1/tts', { token: tokens[1], json: sft }))
    // Someone else with the same name at another issuer is another user.
    expect((await call('GET', '/v1/audio', { token: await tokenFor(uniqueUser(), { iat }) })).status).toBe(200)
  })

  it('synthesis checks revocation exactly, in its admission call, even when made elsewhere', async () => {
    const sub = uniqueUser()
    const token = await tokenFor(sub, { jti: `external-${crypto.randomUUID()}` })
    expect((await call('GET', '/v1/audio', { token })).status).toBe(200) // warms this isolate's copy
    // As if another isolate revoked it: straight into the Durable Object, this isolate's copy untouched.
    const { userKey } = await import('../src/auth/user-key')
    const key = await userKey('cosyvoice-edge', sub)
    await env.USERS.get(env.USERS.idFromName(key)).revokeTokens({ jti: decodeJwt(token).jti })
    const tts = await call('POST', '/v1/tts', { token, json: sft })
    await expectInvalid(tts)
    expect(await originRecords(tts.headers.get('x-request-id')!)).toEqual([])
  })

  it('revoking needs a jti or a sub, and a foreign jti needs its sub', async () => {
    const admin = await tokenFor(uniqueUser('admin'), { role: 'admin' })
    expect((await call('POST', '/admin/revoke', { token: admin, json: {} })).status).toBe(400)
    expect((await call('POST', '/admin/revoke', { token: admin, json: { jti: 'not-routable' } })).status).toBe(400)
    expect((await call('POST', '/admin/revoke', { token: admin, json: { jti: 'not-routable', sub: uniqueUser(), issuer: 'cosyvoice-edge' } })).status).toBe(200)
    expect((await call('POST', '/admin/revoke', { token: admin, json: { jti: 'not-routable', sub: uniqueUser(), issuer: 'cosyvoice-edge', exp: 'soon' } })).status).toBe(400)
  })

  it('a long-lived token revoked with its exp stays revoked', async () => {
    const admin = await tokenFor(uniqueUser('admin'), { role: 'admin' })
    const sub = uniqueUser()
    const exp = Math.floor(Date.now() / 1000) + 60 * 86400
    const token = await tokenFor(sub, { jti: `long-${crypto.randomUUID()}`, exp })
    expect((await call('GET', '/v1/audio', { token })).status).toBe(200)
    const jti = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).jti as string
    expect((await call('POST', '/admin/revoke', { token: admin, json: { jti, sub, issuer: 'cosyvoice-edge', exp } })).status).toBe(200)
    expect((await call('GET', '/v1/audio', { token })).status).toBe(401)
  })

  it('only admins revoke', async () => {
    const res = await call('POST', '/admin/revoke', { token: await tokenFor(uniqueUser()), json: { sub: 'anyone' } })
    expect(res.status).toBe(403)
    expect((await errorOf(res)).code).toBe('insufficient_scope')
  })
})

describe('operator-minted tokens', () => {
  it('an admin mints a 10-minute guest token scoped to tts: it synthesizes but cannot list audio', async () => {
    const admin = await tokenFor(uniqueUser('host'), { role: 'admin', ttl: 3600 })
    const guest = uniqueUser('guest')
    const res = await call('POST', '/admin/tokens', { token: admin, json: { sub: guest, role: 'free', scope: 'tts', ttl_seconds: 600 } })
    expect(res.status).toBe(201)
    const minted = (await res.json()) as { token: string; jti: string; expires_at: string }
    const claims = decodeJwt(minted.token)
    expect(claims).toMatchObject({ sub: guest, role: 'free', scope: 'tts', jti: minted.jti })
    expect(claims.exp! - claims.iat!).toBe(600)
    expect(minted.expires_at).toBe(new Date(claims.exp! * 1000).toISOString())

    const tts = await call('POST', '/v1/tts', { token: minted.token, json: sft })
    expect(tts.status).toBe(200)
    await tts.arrayBuffer()
    const list = await call('GET', '/v1/audio', { token: minted.token })
    expect(list.status).toBe(403)
    expect(list.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/)

    // The jti names its owner, so the host can revoke it by jti alone.
    expect((await call('POST', '/admin/revoke', { token: admin, json: { jti: minted.jti } })).status).toBe(200)
    await expectInvalid(await call('POST', '/v1/tts', { token: minted.token, json: sft }))
  })

  it('a free user cannot mint', async () => {
    const res = await call('POST', '/admin/tokens', { token: await tokenFor(uniqueUser()), json: { sub: 'x', ttl_seconds: 600 } })
    expect(res.status).toBe(403)
    expect((await errorOf(res)).code).toBe('insufficient_scope')
  })

  it('never grants more than the minter has', async () => {
    const shortAdmin = await tokenFor(uniqueUser('host'), { role: 'admin', ttl: 300 })
    const longer = await call('POST', '/admin/tokens', { token: shortAdmin, json: { sub: uniqueUser(), ttl_seconds: 600 } })
    expect(longer.status).toBe(400)
    expect((await errorOf(longer)).code).toBe('ttl_too_long')

    const narrowAdmin = await tokenFor(uniqueUser('host'), { role: 'admin', scope: 'admin tts' })
    const wider = await call('POST', '/admin/tokens', { token: narrowAdmin, json: { sub: uniqueUser(), scope: 'tts audio', ttl_seconds: 120 } })
    expect(wider.status).toBe(403)
    // No scope asked means "every scope of the role", which is also more than this minter has.
    expect((await call('POST', '/admin/tokens', { token: narrowAdmin, json: { sub: uniqueUser(), ttl_seconds: 120 } })).status).toBe(403)
    expect((await call('POST', '/admin/tokens', { token: narrowAdmin, json: { sub: uniqueUser(), scope: 'tts', ttl_seconds: 120 } })).status).toBe(201)

    const admin = await tokenFor(uniqueUser('host'), { role: 'admin', ttl: 30 * 86400 })
    expect((await call('POST', '/admin/tokens', { token: admin, json: { sub: uniqueUser(), ttl_seconds: 86400 + 1 } })).status).toBe(400)
    expect((await call('POST', '/admin/tokens', { token: admin, json: { sub: uniqueUser(), role: 'emperor', ttl_seconds: 600 } })).status).toBe(400)
  })
})

describe('anonymous token routes', () => {
  it('are braked per address: past 60 requests in 10 s one address gets 429 with Retry-After, others do not', async () => {
    const ip = uniqueIp()
    const refresh = (from: string) => call('POST', '/auth/refresh', { json: { refresh_token: 'not-a-token' }, headers: { 'cf-connecting-ip': from } })
    // The binding counts in fixed 10 s windows: a run that straddles a window's end may pass more
    // than 60 before the brake, never fewer.
    let braked: Response | undefined
    let sent = 0
    while (!braked && sent < 200) {
      const res = await refresh(ip)
      sent += 1
      if (res.status === 429) braked = res
      else expect(res.status).toBe(401)
    }
    expect(braked).toBeDefined()
    expect(sent).toBeGreaterThan(60)
    expect(braked!.headers.get('retry-after')).toBeTruthy()
    expect((await refresh(uniqueIp())).status).toBe(401)
  })
})

describe('browser sessions', () => {
  it('login with cookie: true sets an HttpOnly __Host- cookie that authenticates GETs', async () => {
    const res = await login('login-cookie', { cookie: true })
    expect(res.status).toBe(200)
    const cookies = res.headers.getAll('set-cookie')
    const access = cookies.find((c) => c.startsWith('__Host-access='))!
    expect(access).toMatch(/; Path=\/;/)
    expect(access).toMatch(/; Secure/)
    expect(access).toMatch(/; HttpOnly/)
    expect(access).toMatch(/; SameSite=Lax/)
    expect(access).not.toMatch(/Domain=/i)
    const value = access.split(';')[0]!
    const me = await call('GET', '/auth/me', { headers: { cookie: value } })
    expect(me.status).toBe(200)
    expect(((await me.json()) as { sub: string }).sub).toBe('login-cookie')
    expect((await call('GET', '/v1/audio', { headers: { cookie: value } })).status).toBe(200)
  })

  it('an unsafe method with the cookie needs the CSRF token; the route does not run without it', async () => {
    const res = await login('login-csrf', { cookie: true })
    const body = (await res.json()) as { csrf_token: string }
    const cookie = res.headers
      .getAll('set-cookie')
      .map((c) => c.split(';')[0])
      .join('; ')
    const refused = await call('POST', '/v1/tts', { headers: { cookie }, json: sft })
    expect(refused.status).toBe(403)
    expect((await errorOf(refused)).code).toBe('csrf_failed')
    expect(await originRecords(refused.headers.get('x-request-id')!)).toEqual([])
    const forged = await call('POST', '/v1/tts', { headers: { cookie, 'x-csrf-token': 'A'.repeat(43) }, json: sft })
    expect(forged.status).toBe(403)

    const ok = await call('POST', '/v1/tts', { headers: { cookie, 'x-csrf-token': body.csrf_token }, json: sft })
    expect(ok.status).toBe(200)
    await ok.arrayBuffer()
  })

  it('logout clears the cookies', async () => {
    const res = await login('login-cookie', { cookie: true })
    const body = (await res.json()) as { csrf_token: string }
    const cookie = res.headers
      .getAll('set-cookie')
      .map((c) => c.split(';')[0])
      .join('; ')
    const out = await call('POST', '/auth/logout', { headers: { cookie, 'x-csrf-token': body.csrf_token } })
    expect(out.status).toBe(204)
    expect(out.headers.getAll('set-cookie').some((c) => c.startsWith('__Host-access=;') && /Max-Age=0/.test(c))).toBe(true)
    expect(out.headers.getAll('set-cookie').some((c) => c.startsWith('__Host-refresh=;') && /Max-Age=0/.test(c))).toBe(true)
    await expectInvalid(await call('GET', '/auth/me', { headers: { cookie } }))
  })

  it('logout with only the refresh cookie (the access cookie has expired) ends the session', async () => {
    const res = await login('login-cookie', { cookie: true })
    const cookies = res.headers.getAll('set-cookie').map((c) => c.split(';')[0]!)
    const access = cookies.find((c) => c.startsWith('__Host-access='))!
    const refresh = cookies.find((c) => c.startsWith('__Host-refresh='))!
    const out = await call('POST', '/auth/logout', { headers: { cookie: refresh } })
    expect(out.status).toBe(204)
    expect(out.headers.getAll('set-cookie').some((c) => c.startsWith('__Host-refresh=;') && /Max-Age=0/.test(c))).toBe(true)
    await expectInvalid(await call('GET', '/auth/me', { headers: { cookie: access } }))
    expect((await call('POST', '/auth/refresh', { headers: { cookie: refresh } })).status).toBe(401)
  })

  it('keeps both tokens out of script reach: the refresh token is an HttpOnly cookie that refreshes the session', async () => {
    const res = await login('login-cookie', { cookie: true })
    const body = (await res.json()) as Record<string, unknown>
    expect(body.access_token).toBeUndefined()
    expect(body.refresh_token).toBeUndefined()
    expect(body.csrf_token).toBeTruthy()
    const refresh = res.headers.getAll('set-cookie').find((c) => c.startsWith('__Host-refresh='))!
    expect(refresh).toMatch(/; HttpOnly/)
    expect(refresh).toMatch(/; SameSite=Strict/)
    expect(refresh).toMatch(/; Secure/)

    const refreshed = await call('POST', '/auth/refresh', { headers: { cookie: refresh.split(';')[0]! } })
    expect(refreshed.status).toBe(200)
    const cookies = refreshed.headers.getAll('set-cookie')
    const access = cookies.find((c) => c.startsWith('__Host-access='))!.split(';')[0]!
    const rotated = cookies.find((c) => c.startsWith('__Host-refresh='))!.split(';')[0]!
    expect(rotated).not.toBe(refresh.split(';')[0])
    expect((await call('GET', '/auth/me', { headers: { cookie: access } })).status).toBe(200)
    // A second tab presenting the just-spent cookie within the grace period rotates too.
    expect((await call('POST', '/auth/refresh', { headers: { cookie: refresh.split(';')[0]! } })).status).toBe(200)
    // After it, the spent cookie is a reuse: the whole family dies. (Time is moved by ageing the
    // spend in the user's object rather than by sleeping.)
    await runInDurableObject(env.USERS.get(env.USERS.idFromName(await userKey('cosyvoice-edge', 'login-cookie'))), (_instance, state) => {
      state.storage.sql.exec('UPDATE refresh_tokens SET spent_at = spent_at - 60000 WHERE spent_at IS NOT NULL')
    })
    expect((await call('POST', '/auth/refresh', { headers: { cookie: refresh.split(';')[0]! } })).status).toBe(401)
    expect((await call('POST', '/auth/refresh', { headers: { cookie: rotated } })).status).toBe(401)
  })
})

describe('fresh authentication', () => {
  it('revoking every session needs a login within 5 minutes: 401 reauth_required otherwise', async () => {
    const old = await tokenFor(uniqueUser(), { iat: Math.floor(Date.now() / 1000) - 600 })
    const res = await call('POST', '/auth/logout-all', { token: old })
    expect(res.status).toBe(401)
    expect((await errorOf(res)).code).toBe('reauth_required')
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_user_authentication".*max_age=300/)
    // Not revoked: the refused operation did not run.
    expect((await call('GET', '/v1/audio', { token: old })).status).toBe(200)
  })

  it('a fresh login may revoke every session, which kills the older ones too', async () => {
    const older = await loggedIn('login-fresh')
    const fresh = await loggedIn('login-fresh')
    expect((await call('POST', '/auth/logout-all', { token: fresh.access_token })).status).toBe(204)
    await expectInvalid(await call('GET', '/v1/audio', { token: older.access_token }))
    await expectInvalid(await call('GET', '/v1/audio', { token: fresh.access_token }))
    await expectInvalid(await call('POST', '/auth/refresh', { json: { refresh_token: older.refresh_token } }), 'invalid_grant')
  })

  it('deleting a voice with a 10-minute-old token → 401 reauth_required', async () => {
    const token = await tokenFor(uniqueUser(), { iat: Math.floor(Date.now() / 1000) - 600 })
    const res = await call('DELETE', `/v1/voices/${'v'.repeat(22)}`, { token })
    expect(res.status).toBe(401)
    expect((await errorOf(res)).code).toBe('reauth_required')
    // A fresh token gets through to the route (which knows no such voice).
    const fresh = await call('DELETE', `/v1/voices/${'v'.repeat(22)}`, { token: await tokenFor(uniqueUser()) })
    expect(fresh.status).toBe(404)
  })
})
