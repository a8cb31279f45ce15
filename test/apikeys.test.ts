import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import app from '../src/index'
import { hashApiKey, parseApiKey } from '../src/auth/api-key-format'
import { userKey } from '../src/auth/user-key'
import { call, errorOf } from './support/api'
import { checkAgainstOpenApi } from './support/openapi-conformance'
import { createKey, keyCall, loginToken, subOf, type CreatedKey } from './support/api-keys'
import { originRecords } from './support/origin'
import { idpToken, tokenFor, uniqueIp, uniqueUser } from './support/tokens'
import { IDP } from './support/auth-fixtures'
import { tenantToken } from './support/idp'
import { forgeKey, mangle, swapNeighbours } from './support/api-key-forgery'
import { adminToken, createUser, expectStatus, logIn, patchUser } from './support/accounts'

const sft = { text: '你好', mode: 'sft', speaker: '中文女' }

async function expectInvalid(res: Response, code = 'invalid_token') {
  expect(res.status).toBe(401)
  expect((await errorOf(res)).code).toBe(code)
  if (code === 'invalid_token') expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
}

const listKeys = async (token: string) => {
  const res = await call('GET', '/v1/api-keys', { token })
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: (Omit<CreatedKey, 'key'> & { key?: string })[] }).items
}

const stubOf = async (sub: string) => env.USERS.get(env.USERS.idFromName(await userKey('cosyvoice-edge', sub)))

/**
 * The Worker with a USERS binding that counts every Durable Object it is asked for (or refuses
 * them all): how a test proves a request made no Durable Object call.
 */
function countingWorker(mode: 'count' | 'unreachable' = 'count') {
  let calls = 0
  const users = {
    idFromName: (name: string) => env.USERS.idFromName(name),
    get: (id: DurableObjectId) => {
      calls++
      if (mode === 'unreachable') throw new Error('the USERS binding is unreachable in this test')
      return env.USERS.get(id)
    },
  }
  const fetch = async (method: string, path: string, o: { token?: string; headers?: Record<string, string>; json?: unknown } = {}) => {
    const headers = new Headers({ 'cf-connecting-ip': uniqueIp(), ...o.headers })
    if (o.token) headers.set('authorization', `Bearer ${o.token}`)
    if (o.json !== undefined) headers.set('content-type', 'application/json')
    const ctx = createExecutionContext()
    const res = await app.fetch(
      new Request(`https://edge.test${path}`, { method, headers, body: o.json === undefined ? undefined : JSON.stringify(o.json) }),
      { ...env, USERS: users as unknown as typeof env.USERS },
      ctx,
    )
    await waitOnExecutionContext(ctx)
    // A broken binding's 500 is the one answer the API does not describe.
    if (res.status < 500) await checkAgainstOpenApi(method, `https://edge.test${path}`, res)
    return res
  }
  return { fetch, calls: () => calls }
}

describe('personal API keys: create, use, list, revoke', () => {
  it('a key is shown once, works on the API, is listed with its last use and never again shown, and dies when revoked', async () => {
    const token = await loginToken('apikey-life')
    const created = await createKey(token, { name: 'ci runner', scope: 'tts audio' })
    expect(created.key).toMatch(/^cve_[0-9A-Za-z]{104}$/)
    expect(created.prefix).toBe(`cve_${created.id}`)
    expect(created.key.startsWith(created.prefix)).toBe(true)
    expect(created).toMatchObject({ name: 'ci runner', scope: 'tts audio', last_used_at: null, expired: false })
    // Every key expires: 90 days unless asked otherwise.
    const life = Date.parse(created.expires_at) - Date.parse(created.created_at)
    expect(life).toBe(90 * 86_400_000)

    const before = (await listKeys(token)).find((k) => k.id === created.id)!
    expect(before).toMatchObject({ name: 'ci runner', prefix: created.prefix, scope: 'tts audio', last_used_at: null, expires_at: created.expires_at })
    expect(before.key).toBeUndefined()

    const me = await keyCall('GET', '/auth/me', created.key)
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ sub: 'apikey-life', role: 'free', scopes: ['tts', 'audio'], api_key: created.id })
    const tts = await keyCall('POST', '/v1/tts', created.key, { json: sft })
    expect(tts.status).toBe(200)
    expect((await tts.arrayBuffer()).byteLength).toBeGreaterThan(44)
    const audio = await keyCall('GET', '/v1/audio', created.key)
    expect(audio.status).toBe(200)
    // The owner's storage and quota: the login token sees what the key made.
    const own = (await (await call('GET', '/v1/audio', { token })).json()) as { items: { audio_id: string }[] }
    expect(own.items.map((i) => i.audio_id)).toContain(tts.headers.get('x-audio-id'))

    const listed = await call('GET', '/v1/api-keys', { token })
    const text = await listed.text()
    expect(text).not.toContain(created.key.slice(16))
    const after = (JSON.parse(text) as { items: CreatedKey[] }).items.find((k) => k.id === created.id)!
    expect(after.last_used_at).not.toBeNull()

    const revoke = await call('DELETE', `/v1/api-keys/${created.id}`, { token })
    expect(revoke.status).toBe(204)
    // Revoked through this isolate: refused at once, everywhere.
    await expectInvalid(await keyCall('GET', '/v1/audio', created.key))
    const refused = await keyCall('POST', '/v1/tts', created.key, { json: sft })
    await expectInvalid(refused)
    expect(await originRecords(refused.headers.get('x-request-id')!)).toEqual([])
    expect((await listKeys(token)).map((k) => k.id)).not.toContain(created.id)
    // Revoking twice, or a key that never was: 404.
    expect((await call('DELETE', `/v1/api-keys/${created.id}`, { token })).status).toBe(404)
    expect((await call('DELETE', '/v1/api-keys/nonsense', { token })).status).toBe(404)
  })

  it('revoked elsewhere: refused at once on /v1/tts, and on other routes within REVOCATION_CACHE_SECONDS', async () => {
    const token = await loginToken('apikey-window')
    const created = await createKey(token, { name: 'window' })
    expect((await keyCall('GET', '/v1/audio', created.key)).status).toBe(200) // this isolate now knows the key
    // As if another isolate revoked it: straight into the owner's Durable Object, this isolate's copy untouched.
    expect(await (await stubOf('apikey-window')).revokeApiKey(created.id)).not.toBeNull()

    const tts = await keyCall('POST', '/v1/tts', created.key, { json: sft })
    await expectInvalid(tts)
    expect(await originRecords(tts.headers.get('x-request-id')!)).toEqual([])
    // The isolate's copy lives at most REVOCATION_CACHE_SECONDS (5 in tests): then the key is refused.
    await expect.poll(async () => (await keyCall('GET', '/v1/audio', created.key)).status, { timeout: 15_000, interval: 500 }).toBe(401)
  })

  it('a key with the tts scope synthesizes but cannot list audio', async () => {
    const token = await loginToken('apikey-scope')
    const { key } = await createKey(token, { scope: 'tts' })
    const list = await keyCall('GET', '/v1/audio', key)
    expect(list.status).toBe(403)
    expect(list.headers.get('www-authenticate')).toMatch(/error="insufficient_scope", error_description="[^"]*", scope="audio"/)
    expect((await keyCall('GET', '/v1/voices', key)).status).toBe(403)
    const tts = await keyCall('POST', '/v1/tts', key, { json: sft })
    expect(tts.status).toBe(200)
    await tts.arrayBuffer()
  })

  it('a key never has more than the token that makes it: no scope it lacks, no admin for a free user', async () => {
    const sub = 'apikey-scope'
    const narrow = await tokenFor(sub, { scope: 'tts', extra: { sid: 'a-session', auth_time: Math.floor(Date.now() / 1000) } })
    for (const scope of ['audio', 'tts audio', 'admin']) {
      const res = await call('POST', '/v1/api-keys', { token: narrow, json: { name: 'wider', scope } })
      expect(res.status).toBe(403)
      expect((await errorOf(res)).code).toBe('insufficient_scope')
    }
    const full = await loginToken(sub)
    const admin = await call('POST', '/v1/api-keys', { token: full, json: { name: 'admin?', scope: 'admin' } })
    expect(admin.status).toBe(403)
    // Without a scope: all of the token's, and no more.
    expect((await createKey(narrow)).scope).toBe('tts')
  })

  it('bad requests are 400 and create nothing', async () => {
    const token = await loginToken('apikey-scope')
    const count = (await listKeys(token)).length
    for (const json of [
      {},
      { name: '' },
      { name: '  ' },
      { name: 'x'.repeat(101) },
      { name: 'a\nb' },
      { name: 'k', scope: 'root' },
      { name: 'k', scope: '' },
      { name: 'k', scope: ['tts'] },
      { name: 'k', ttl_seconds: 10 },
      { name: 'k', ttl_seconds: 366 * 86400 },
      { name: 'k', ttl_seconds: 3600.5 },
      { name: 'k', ttl_seconds: '3600' },
    ]) {
      const res = await call('POST', '/v1/api-keys', { token, json })
      expect(res.status, JSON.stringify(json)).toBe(400)
    }
    expect((await call('POST', '/v1/api-keys', { token, body: 'name=k', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415)
    expect(await listKeys(token)).toHaveLength(count)
    const short = await createKey(token, { name: 'short', ttl_seconds: 120 })
    expect(Date.parse(short.expires_at) - Date.parse(short.created_at)).toBe(120_000)
  })

  it('making a key needs a fresh login: not an old one, not a key, not a token minted for someone', async () => {
    const sub = 'apikey-fresh'
    const token = await loginToken(sub)
    const count = (await listKeys(token)).length
    const old = await tokenFor(sub, { extra: { sid: 'a-session', auth_time: Math.floor(Date.now() / 1000) - 600 } })
    const stale = await call('POST', '/v1/api-keys', { token: old, json: { name: 'late' } })
    expect(stale.status).toBe(401)
    expect((await errorOf(stale)).code).toBe('reauth_required')
    expect(stale.headers.get('www-authenticate')).toMatch(/error="insufficient_user_authentication"/)

    const { key } = await createKey(token)
    const byKey = await keyCall('POST', '/v1/api-keys', key, { json: { name: 'from a key' } })
    expect(byKey.status).toBe(401)
    expect((await errorOf(byKey)).code).toBe('reauth_required')

    // A fresh admin mints a token for the same name: it has a fresh auth_time but no login session.
    const host = await tokenFor(uniqueUser('host'), { role: 'admin', extra: { auth_time: Math.floor(Date.now() / 1000) } })
    const minted = await call('POST', '/admin/tokens', { token: host, json: { sub, role: 'free', ttl_seconds: 300 } })
    expect(minted.status).toBe(201)
    const guest = ((await minted.json()) as { token: string }).token
    const byGuest = await call('POST', '/v1/api-keys', { token: guest, json: { name: 'from a guest' } })
    expect(byGuest.status).toBe(403)
    expect((await errorOf(byGuest)).code).toBe('login_required')
    // Nor can a key do what needs a fresh login elsewhere.
    expect((await keyCall('DELETE', '/v1/voices/0123456789abcdef01234567', key)).status).toBe(401)
    expect(await listKeys(token)).toHaveLength(count + 1)
  })

  it('a user has at most 50 live keys: the 51st is 409 until one is revoked', async () => {
    const token = await loginToken('apikey-limit')
    const live = (await listKeys(token)).filter((k) => !k.expired).length
    const made: CreatedKey[] = []
    for (let i = live; i < 50; i++) made.push(await createKey(token, { name: `k${i}`, ttl_seconds: 3600 }))
    const over = await call('POST', '/v1/api-keys', { token, json: { name: 'one too many' } })
    expect(over.status).toBe(409)
    expect((await errorOf(over)).code).toBe('too_many_keys')
    const victim = made[0] ?? (await listKeys(token))[0]!
    expect((await call('DELETE', `/v1/api-keys/${victim.id}`, { token })).status).toBe(204)
    await createKey(token, { name: 'room again' })
  })
})

describe('what a key costs', () => {
  it('a mangled key is refused without any Durable Object call, even with the binding unreachable', async () => {
    const token = await loginToken('apikey-mangled')
    const { key } = await createKey(token)
    const worker = countingWorker('unreachable')
    const broken = [
      mangle(key, 40), // one character of the owner
      mangle(key, 80), // one of the secret
      mangle(key, key.length - 1), // the checksum
      swapNeighbours(key),
      key.slice(0, -1), // truncated paste
      `${key}x`,
      `cve_${'0'.repeat(104)}`,
      'cve_',
    ]
    for (const text of broken) {
      const res = await worker.fetch('GET', '/v1/audio', { token: text })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
      expect(await errorOf(res)).toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/malformed API key/) })
    }
    // Without the prefix it is not taken for a key at all, but it is no token either.
    const unprefixed = await worker.fetch('GET', '/v1/audio', { token: key.replace(/^cve_/, 'cvx_') })
    expect(await errorOf(unprefixed)).toMatchObject({ code: 'invalid_token', message: 'malformed token' })
    expect(worker.calls()).toBe(0)
    // The same worker does reach for the object for a real key it has not seen: the trap works.
    const fresh = await createKey(token)
    expect((await worker.fetch('GET', '/v1/audio', { token: fresh.key })).status).toBe(500)
    expect(worker.calls()).toBe(1)
  })

  it('a key request costs what a JWT request costs: one Durable Object call, then none while cached', async () => {
    const token = await loginToken('apikey-cost')
    const { key } = await createKey(token)
    const jwt = await tokenFor(uniqueUser())
    const viaKey = countingWorker()
    const viaJwt = countingWorker()
    expect((await viaKey.fetch('GET', '/v1/audio', { token: key })).status).toBe(200)
    expect((await viaJwt.fetch('GET', '/v1/audio', { token: jwt })).status).toBe(200)
    // The key's lookup brought the user's revocations along: one call, as the JWT's revocation check.
    expect([viaKey.calls(), viaJwt.calls()]).toEqual([1, 1])
    for (let i = 0; i < 5; i++) {
      expect((await viaKey.fetch('GET', '/v1/audio', { token: key })).status).toBe(200)
      expect((await viaJwt.fetch('GET', '/v1/audio', { token: jwt })).status).toBe(200)
    }
    expect([viaKey.calls(), viaJwt.calls()]).toEqual([1, 1])
  })

  it('last use is recorded coarsely: a second use within the minute writes nothing', async () => {
    const token = await loginToken('apikey-cost')
    const { id, key } = await createKey(token)
    const stub = await stubOf('apikey-cost')
    const hash = await hashApiKey(key)
    expect((await stub.verifyApiKey(id, hash)).key).not.toBeNull()
    const first = (await stub.listApiKeys()).find((k) => k.id === id)!.lastUsedAt
    expect(first).not.toBeNull()
    await new Promise((r) => setTimeout(r, 5))
    expect((await stub.verifyApiKey(id, hash)).key).not.toBeNull()
    expect((await stub.listApiKeys()).find((k) => k.id === id)!.lastUsedAt).toBe(first)
    // A wrong hash for a real id is no key, and not a use.
    expect((await stub.verifyApiKey(id, await hashApiKey(`${key}x`))).key).toBeNull()
  })

  it('forged keys with a valid checksum are braked per address before they reach anyone’s object', async () => {
    const token = await loginToken('apikey-mangled')
    const { key } = await createKey(token)
    const owner = parseApiKey(key)!.userKey
    const worker = countingWorker()
    const ip = uniqueIp()
    const statuses: number[] = []
    // Fixed 10 s windows of 60: the first refusal comes within 121 requests, whatever the window.
    for (let i = 0; i < 121 && !statuses.includes(429); i++) {
      const res = await worker.fetch('GET', '/v1/audio', { token: forgeKey(owner), headers: { 'cf-connecting-ip': ip } })
      statuses.push(res.status)
      if (res.status === 429) expect(res.headers.get('retry-after')).toBe('10')
    }
    expect(statuses).toContain(429)
    expect(new Set(statuses)).toEqual(new Set([401, 429]))
    expect(worker.calls()).toBe(statuses.filter((s) => s === 401).length)
    // The refused address does not reach the object any more; others (and cached keys) are unaffected.
    const before = worker.calls()
    expect((await worker.fetch('GET', '/v1/audio', { token: forgeKey(owner), headers: { 'cf-connecting-ip': ip } })).status).toBe(429)
    expect(worker.calls()).toBe(before)
    expect((await keyCall('GET', '/v1/audio', key)).status).toBe(200)
  }, 90_000)
})

describe('hostile uses of keys', () => {
  it("another user's key id is not found, and a key spliced from two users' parts is refused", async () => {
    const alice = await loginToken('apikey-alice')
    const bob = await loginToken('apikey-bob')
    const aliceKey = await createKey(alice)
    const bobKey = await createKey(bob)
    expect((await call('DELETE', `/v1/api-keys/${bobKey.id}`, { token: alice })).status).toBe(404)
    expect((await listKeys(alice)).map((k) => k.id)).not.toContain(bobKey.id)
    expect((await keyCall('GET', '/v1/audio', bobKey.key)).status).toBe(200)
    // Alice's routing with Bob's id and secret (checksum made right): Alice's object has no such key.
    const spliced = forgeKey(parseApiKey(aliceKey.key)!.userKey, { id: bobKey.id, secret: bobKey.key.slice(59, 102) })
    expect(parseApiKey(spliced)).not.toBeNull()
    await expectInvalid(await keyCall('GET', '/v1/audio', spliced))
    const rerouted = forgeKey(parseApiKey(bobKey.key)!.userKey, { id: aliceKey.id, secret: aliceKey.key.slice(59, 102) })
    await expectInvalid(await keyCall('GET', '/v1/audio', rerouted))
    expect((await keyCall('GET', '/v1/audio', aliceKey.key)).status).toBe(200)
  })

  it('a key may revoke itself, no other key', async () => {
    const token = await loginToken('apikey-self')
    const a = await createKey(token, { name: 'a' })
    const b = await createKey(token, { name: 'b' })
    const other = await keyCall('DELETE', `/v1/api-keys/${b.id}`, a.key)
    expect(other.status).toBe(403)
    expect((await keyCall('GET', '/v1/audio', b.key)).status).toBe(200)
    expect((await keyCall('DELETE', `/v1/api-keys/${a.id}`, a.key)).status).toBe(204)
    await expectInvalid(await keyCall('GET', '/v1/audio', a.key))
    // A key may still see the list of its owner's keys (never a key in it).
    const list = await keyCall('GET', '/v1/api-keys', b.key)
    expect(list.status).toBe(200)
  })

  it('revoking everything of a user (an admin by sub, or their own logout-all) kills their keys at once, tts included', async () => {
    const sub = 'apikey-revoked-all'
    const token = await loginToken(sub)
    const { key } = await createKey(token)
    expect((await keyCall('GET', '/v1/audio', key)).status).toBe(200)
    const admin = await tokenFor(uniqueUser('admin'), { role: 'admin' })
    expect((await call('POST', '/admin/revoke', { token: admin, json: { sub, issuer: 'cosyvoice-edge' } })).status).toBe(200)
    await expectInvalid(await keyCall('GET', '/v1/audio', key))
    await expectInvalid(await keyCall('POST', '/v1/tts', key, { json: sft }))
    // The key is gone from the list too; a key made after a fresh login works. (The cut-off is whole
    // seconds, as `iat` is: a login in the very second of the revocation is revoked with it.)
    await new Promise((r) => setTimeout(r, 1010 - (Date.now() % 1000)))
    const again = await loginToken(sub)
    expect(await listKeys(again)).toEqual([])
    const next = await createKey(again)
    expect((await keyCall('GET', '/v1/audio', next.key)).status).toBe(200)
    // The user's own "log out everywhere" (fresh login) takes the keys with it.
    expect((await call('POST', '/auth/logout-all', { token: again })).status).toBe(204)
    await expectInvalid(await keyCall('GET', '/v1/audio', next.key))
  })

  it("an identity provider's user makes a key: it routes to their own storage and keeps their token's role", async () => {
    const sub = uniqueUser('ext')
    const now = Math.floor(Date.now() / 1000)
    const claims = { iss: IDP.stable.issuer, aud: IDP.stable.audience, sub, iat: now, exp: now + 600, app: { role: 'premium' } }
    const token = await idpToken(IDP.stable.tenant, claims)
    const { key } = await createKey(token, { scope: 'tts audio' })
    expect(parseApiKey(key)!.userKey).toBe(await userKey(IDP.stable.issuer, sub))
    expect(await (await keyCall('GET', '/auth/me', key)).json()).toMatchObject({ sub, issuer: IDP.stable.issuer, role: 'premium', scopes: ['tts', 'audio'] })
    expect(await (await keyCall('GET', '/v1/usage', key)).json()).toMatchObject({ tier: 'premium' })
    // An identity provider's admin gets no admin key: the edge could not see them demoted.
    const idpAdmin = await tenantToken('okta', { scp: ['tts', 'audio', 'admin'], groups: ['cosyvoice-admins'] })
    expect(await (await call('GET', '/auth/me', { token: idpAdmin })).json()).toMatchObject({ role: 'admin', scopes: ['tts', 'audio', 'admin'] })
    const adminKey = await call('POST', '/v1/api-keys', { token: idpAdmin, json: { name: 'admin?', scope: 'tts admin' } })
    expect(adminKey.status).toBe(403)
    const plain = await createKey(idpAdmin)
    expect(plain.scope).toBe('tts audio')
    expect(await (await keyCall('GET', '/auth/me', plain.key)).json()).toMatchObject({ role: 'admin', scopes: ['tts', 'audio'] })
    expect((await keyCall('GET', '/admin/api-keys?sub=x', plain.key)).status).toBe(403)
    const stale = await idpToken(IDP.stable.tenant, { ...claims, iat: now - 600, auth_time: now - 600 })
    expect((await call('POST', '/v1/api-keys', { token: stale, json: { name: 'late' } })).status).toBe(401)
  })

  it("a disabled or deleted owner's keys stop working at once; a disabled one's stay revoked when it is enabled again", async () => {
    const admin = await adminToken()
    for (const close of ['disable', 'delete'] as const) {
      const u = await createUser(admin)
      const { key } = await createKey((await logIn(u)).access_token)
      expect((await keyCall('GET', '/v1/audio', key)).status).toBe(200)
      if (close === 'disable') await expectStatus(patchUser(admin, u.username, { status: 'disabled' }), 200)
      else await expectStatus(call('DELETE', `/admin/users/${u.username}`, { token: admin }), 202)
      await expectInvalid(await keyCall('GET', '/v1/audio', key))
      await expectInvalid(await keyCall('POST', '/v1/tts', key, { json: sft }))
      if (close === 'disable') {
        await expectStatus(patchUser(admin, u.username, { status: 'active' }), 200)
        await expectInvalid(await keyCall('GET', '/v1/audio', key))
        // Revoked, not merely refused: the user's list no longer shows it.
        expect(await listKeys((await logIn(u)).access_token)).toEqual([])
      }
    }
  })

  it("the key's role is the owner's account role when it is used (a role change in the directory), its scopes within it", async () => {
    const admin = await adminToken()
    const u = await createUser(admin, { role: 'admin' })
    const { key } = await createKey((await logIn(u)).access_token, { scope: 'admin audio' })
    expect(await (await keyCall('GET', '/v1/usage', key)).json()).toMatchObject({ tier: 'admin' })
    expect((await keyCall('GET', '/admin/users?limit=1', key)).status).toBe(200)
    await expectStatus(patchUser(admin, u.username, { role: 'premium' }), 200)
    expect(await (await keyCall('GET', '/v1/usage', key)).json()).toMatchObject({ tier: 'premium' })
    // Downgraded: the admin scope it was made with is gone with the role.
    const refused = await keyCall('GET', '/admin/users?limit=1', key)
    expect(refused.status).toBe(403)
    expect((await errorOf(refused)).code).toBe('insufficient_scope')
  })

  it("keys are refused in a query string, in a cookie and in Cloudflare Access's places, without a Durable Object call", async () => {
    const token = await loginToken('apikey-mangled')
    const { key } = await createKey(token)
    const worker = countingWorker('unreachable')
    for (const name of ['access_token', 'api_key', 'key', 'token']) {
      const res = await worker.fetch('GET', `/v1/audio?${name}=${key}`)
      expect(res.status).toBe(401)
      expect(await errorOf(res)).toMatchObject({ code: 'invalid_token', message: 'missing bearer token' })
    }
    for (const method of ['GET', 'DELETE']) {
      const res = await worker.fetch(method, method === 'GET' ? '/v1/audio' : '/v1/api-keys/whatever', { headers: { cookie: `__Host-access=${key}`, 'x-csrf-token': 'x' } })
      expect(res.status).toBe(401)
      expect(await errorOf(res)).toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/only in the Authorization header/) })
    }
    // Nor where Cloudflare Access puts its token (header or cookie).
    for (const headers of [{ 'cf-access-jwt-assertion': key }, { cookie: `CF_Authorization=${key}` }] as Record<string, string>[]) {
      const res = await worker.fetch('GET', '/v1/audio', { headers })
      expect(res.status).toBe(401)
      expect(await errorOf(res)).toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/only in the Authorization header/) })
    }
    expect(worker.calls()).toBe(0)
  })

  it('an expired key is refused', async () => {
    const token = await loginToken('apikey-life')
    const created = await createKey(token, { ttl_seconds: 60 })
    const { getAuthConfig } = await import('../src/auth/auth-config')
    const { verifyApiKey } = await import('../src/auth/api-key-verify')
    const auth = await getAuthConfig(env)
    const check = { revocation: 'cached', client: uniqueIp() } as const
    await expect(verifyApiKey(env, created.key, auth, check)).resolves.toMatchObject({ sub: 'apikey-life', apiKey: created.id })
    // A minute and a bit later, from this isolate's cache or from the object alike.
    await expect(verifyApiKey(env, created.key, auth, check, Date.now() + 61_000)).rejects.toMatchObject({ code: 'ERR_API_KEY_EXPIRED' })
  })
})

describe('the MiroTalk pattern: an admin-scoped key mints short tokens for its service’s users', () => {
  it('mints a guest token that synthesizes, cannot list audio, and expires; the audit names the key', async () => {
    const adminToken = await loginToken('apikey-admin')
    const service = await createKey(adminToken, { name: 'meeting server', scope: 'admin tts' })
    const guest = uniqueUser('guest')
    const res = await keyCall('POST', '/admin/tokens', service.key, { json: { sub: guest, role: 'free', scope: 'tts', ttl_seconds: 600 } })
    expect(res.status).toBe(201)
    const minted = (await res.json()) as { token: string; jti: string; expires_at: string }
    const claims = decodeJwt(minted.token)
    expect(claims).toMatchObject({ sub: guest, role: 'free', scope: 'tts' })
    expect(claims.exp! - claims.iat!).toBe(600)
    // No fresher than the login that made the key.
    expect(claims.auth_time).toBe(Math.floor(Date.parse(service.created_at) / 1000))

    const tts = await call('POST', '/v1/tts', { token: minted.token, json: sft })
    expect(tts.status).toBe(200)
    await tts.arrayBuffer()
    expect((await call('GET', '/v1/audio', { token: minted.token })).status).toBe(403)
    // Expiry: the edge refuses it once its 600 s (and the 30 s clock skew) are over.
    const { getAuthConfig } = await import('../src/auth/auth-config')
    const { verifyAccessToken } = await import('../src/auth/verify-token')
    const auth = await getAuthConfig(env)
    await expect(verifyAccessToken(minted.token, auth)).resolves.toMatchObject({ sub: guest })
    await expect(verifyAccessToken(minted.token, auth, (claims.exp! + 31) * 1000)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })

    // The minter's trail names the key for what it did.
    await expect
      .poll(async () => {
        const trail = (await (await call('GET', '/v1/audit', { token: adminToken })).json()) as { items: { action: string; resource: string; actor: string | null }[] }
        return trail.items.find((e) => e.action === 'admin.token_mint' && e.resource === minted.jti)?.actor
      })
      .toBe(`api_key:${service.id}`)
  })

  it('never more than the key: no scope it lacks, no longer life than it has, and only with the admin scope', async () => {
    const adminToken = await loginToken('apikey-admin')
    const adminOnly = await createKey(adminToken, { name: 'admin only', scope: 'admin' })
    const beyond = await keyCall('POST', '/admin/tokens', adminOnly.key, { json: { sub: uniqueUser(), role: 'free', scope: 'tts', ttl_seconds: 600 } })
    expect(beyond.status).toBe(403)
    const shortKey = await createKey(adminToken, { name: 'short', scope: 'admin tts', ttl_seconds: 120 })
    const longer = await keyCall('POST', '/admin/tokens', shortKey.key, { json: { sub: uniqueUser(), role: 'free', scope: 'tts', ttl_seconds: 600 } })
    expect(longer.status).toBe(400)
    expect((await errorOf(longer)).code).toBe('ttl_too_long')
    const ttsOnly = await createKey(adminToken, { name: 'no admin', scope: 'tts' })
    const noAdmin = await keyCall('POST', '/admin/tokens', ttsOnly.key, { json: { sub: uniqueUser(), role: 'free', scope: 'tts', ttl_seconds: 600 } })
    expect(noAdmin.status).toBe(403)
    expect((await errorOf(noAdmin)).code).toBe('insufficient_scope')
  })

  it('every action taken with a key is in the owner’s trail under the key’s id', async () => {
    const token = await loginToken('apikey-life')
    const { id, key } = await createKey(token, { scope: 'tts audio' })
    const tts = await keyCall('POST', '/v1/tts', key, { json: sft })
    expect(tts.status).toBe(200)
    await tts.arrayBuffer()
    const audioId = tts.headers.get('x-audio-id')!
    expect((await keyCall('DELETE', `/v1/audio/${audioId}`, key)).status).toBe(204)
    await expect
      .poll(async () => {
        const trail = (await (await keyCall('GET', '/v1/audit', key)).json()) as { items: { action: string; resource: string; actor: string | null }[] }
        return trail.items.filter((e) => e.resource === audioId).map((e) => [e.action, e.actor])
      })
      .toEqual(
        expect.arrayContaining([
          ['audio.delete', `api_key:${id}`],
          ['tts', `api_key:${id}`],
        ]),
      )
  })
})

describe('scripts/api-key.mjs (how a bench or a person makes a key)', () => {
  it('logs in, makes a key and hands back the login token of the same user', async () => {
    const { createApiKey } = await import('../scripts/api-key.mjs')
    const { TEST_PASSWORD } = await import('./support/auth-fixtures')
    const viaWorker = (url: string, init: RequestInit) =>
      exports.default.fetch(new Request(url, { ...init, headers: { ...(init.headers as Record<string, string>), 'cf-connecting-ip': uniqueIp() } }))
    const made = await createApiKey({ url: 'https://edge.test', username: 'apikey-cost', password: TEST_PASSWORD, scope: 'audio', fetch: viaWorker })
    expect(made.key).toMatch(/^cve_/)
    expect(made.scope).toBe('audio')
    expect(subOf(made.access_token)).toBe('apikey-cost')
    expect((await keyCall('GET', '/v1/audio', made.key)).status).toBe(200)
    await expect(createApiKey({ url: 'https://edge.test', username: 'apikey-cost', password: 'wrong', fetch: viaWorker })).rejects.toThrow(/login answered 401/)
  })
})

describe('admins manage any user’s keys', () => {
  it('an admin lists and revokes a user’s keys by ?sub=; the owner’s trail says who', async () => {
    const sub = 'apikey-managed'
    const token = await loginToken(sub)
    const created = await createKey(token, { name: 'to be revoked' })
    const admin = await tokenFor(uniqueUser('admin'), { role: 'admin' })
    const list = await call('GET', `/admin/api-keys?sub=${sub}`, { token: admin })
    expect(list.status).toBe(200)
    const items = ((await list.json()) as { items: { id: string; name: string; key?: string }[] }).items
    expect(items.find((k) => k.id === created.id)).toMatchObject({ name: 'to be revoked' })
    expect(items.every((k) => k.key === undefined)).toBe(true)

    expect((await call('DELETE', `/admin/api-keys/${created.id}?sub=${uniqueUser()}`, { token: admin })).status).toBe(404)
    expect((await call('DELETE', `/admin/api-keys/${created.id}?sub=${sub}`, { token: admin })).status).toBe(204)
    await expectInvalid(await keyCall('GET', '/v1/audio', created.key))
    const trail = (await (await call('GET', '/v1/audit', { token })).json()) as { items: { action: string; resource: string; actor: string | null }[] }
    expect(trail.items.find((e) => e.action === 'api_key.revoke' && e.resource === created.id)?.actor).toBe(subOf(admin))
  })

  it('only admins, and the user must be named', async () => {
    const user = await tokenFor(uniqueUser())
    expect((await call('GET', '/admin/api-keys?sub=apikey-managed', { token: user })).status).toBe(403)
    expect((await call('DELETE', '/admin/api-keys/abcdefabcdef?sub=apikey-managed', { token: user })).status).toBe(403)
    const admin = await tokenFor(uniqueUser('admin'), { role: 'admin' })
    expect((await call('GET', '/admin/api-keys', { token: admin })).status).toBe(400)
    expect((await call('GET', `/admin/api-keys?sub=${uniqueUser()}`, { token: admin })).status).toBe(200)
  })
})
