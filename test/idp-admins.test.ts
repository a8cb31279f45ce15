import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { call, errorOf } from './support/api'
import { issuerOf, tenantToken } from './support/idp'
import { loggedIn, tokenFor, uniqueUser } from './support/tokens'

/** An Okta admin: its group is mapped to admin; its entry leaves admin_reach at "issuer". */
const oktaAdmin = () => tenantToken('okta', { groups: ['cosyvoice-admins'], scp: ['admin', 'tts', 'audio'] })
const edgeAdmin = () => tokenFor(uniqueUser('root'), { role: 'admin' })
const fiveSecondsAgo = () => Math.floor(Date.now() / 1000) - 5

async function expectCode(res: Response, status: number, code: string) {
  expect(res.status).toBe(status)
  expect((await errorOf(res)).code).toBe(code)
}

describe("what an identity provider's admin may administer (finding 1)", () => {
  it("cannot mint edge tokens, not for the edge's own alice nor anyone", async () => {
    const admin = await oktaAdmin()
    expect((await call('GET', '/auth/me', { token: admin }).then((r) => r.json())) as { role: string }).toMatchObject({ role: 'admin' })
    for (const sub of ['alice', 'login-admin', uniqueUser()]) {
      const res = await call('POST', '/admin/tokens', { token: admin, json: { sub, role: 'free', ttl_seconds: 600 } })
      await expectCode(res, 403, 'insufficient_scope')
      expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/)
    }
  })

  it("revokes its own issuer's users, and no one else's", async () => {
    const admin = await oktaAdmin()
    const oktaUser = uniqueUser('okta-user')
    const victim = await tenantToken('okta', { iat: fiveSecondsAgo() }, { sub: oktaUser })
    expect((await call('GET', '/v1/audio', { token: victim })).status).toBe(200)
    const revoked = await call('POST', '/admin/revoke', { token: admin, json: { sub: oktaUser, issuer: issuerOf('okta') } })
    expect(revoked.status).toBe(200)
    expect((await call('GET', '/v1/audio', { token: victim })).status).toBe(401)

    // The edge's own user, another IdP's user: out of reach, and nothing is revoked.
    const alice = await loggedIn('login-idp')
    await expectCode(await call('POST', '/admin/revoke', { token: admin, json: { sub: 'login-idp', issuer: 'cosyvoice-edge' } }), 403, 'insufficient_scope')
    await expectCode(await call('POST', '/admin/revoke', { token: admin, json: { jti: decodeJwt(alice.access_token).jti } }), 403, 'insufficient_scope')
    expect((await call('GET', '/v1/audio', { token: alice.access_token })).status).toBe(200)
    const auth0User = uniqueUser('auth0-user')
    const bystander = await tenantToken('auth0', { iat: fiveSecondsAgo() }, { sub: auth0User })
    await expectCode(await call('POST', '/admin/revoke', { token: admin, json: { sub: auth0User, issuer: issuerOf('auth0') } }), 403, 'insufficient_scope')
    expect((await call('GET', '/v1/audio', { token: bystander })).status).toBe(200)
  })

  it("reads only its own issuer's audit trails (?iss= defaults to its own), and sees the origins", async () => {
    const admin = await oktaAdmin()
    expect((await call('GET', `/admin/audit?sub=${uniqueUser()}`, { token: admin })).status).toBe(200)
    expect((await call('GET', `/admin/audit?sub=${uniqueUser()}&iss=${encodeURIComponent(issuerOf('okta'))}`, { token: admin })).status).toBe(200)
    await expectCode(await call('GET', '/admin/audit?sub=login-basic&iss=cosyvoice-edge', { token: admin }), 403, 'insufficient_scope')
    await expectCode(await call('GET', `/admin/audit?sub=x&iss=${encodeURIComponent('https://nowhere.test')}`, { token: admin }), 400, 'unknown_issuer')
    await expectCode(await call('POST', '/admin/voices/0000000000000000000000000000000a/publish?sub=login-basic&iss=cosyvoice-edge', { token: admin }), 403, 'insufficient_scope')
    expect((await call('GET', '/admin/origins', { token: admin })).status).toBe(200)
  })

  it('an entry with admin_reach "all" makes its mapped admins admins of the whole edge', async () => {
    const operator = await tenantToken('ed25519', { role: 'edge-operator' })
    const minted = await call('POST', '/admin/tokens', { token: operator, json: { sub: uniqueUser('guest'), scope: 'tts', ttl_seconds: 300 } })
    expect(minted.status).toBe(201)
    const sub = uniqueUser()
    const edgeUser = await tokenFor(sub, { iat: fiveSecondsAgo() })
    expect((await call('POST', '/admin/revoke', { token: operator, json: { sub, issuer: 'cosyvoice-edge' } })).status).toBe(200)
    expect((await call('GET', '/v1/audio', { token: edgeUser })).status).toBe(401)
    // Its users without the mapped role are no admins.
    await expectCode(
      await call('POST', '/admin/tokens', { token: await tenantToken('ed25519', { role: 'admin' }), json: { sub: 'x', ttl_seconds: 300 } }),
      403,
      'insufficient_scope',
    )
  })
})

describe('/admin/revoke names a real issuer (finding 4)', () => {
  it('a misspelt issuer (no trailing "/") is 400 naming the near miss, and revokes nothing', async () => {
    const sub = uniqueUser('auth0-user')
    const token = await tenantToken('auth0', { iat: fiveSecondsAgo() }, { sub })
    const misspelt = issuerOf('auth0').replace(/\/$/, '')
    const res = await call('POST', '/admin/revoke', { token: await edgeAdmin(), json: { sub, issuer: misspelt } })
    expect(res.status).toBe(400)
    const error = await errorOf(res)
    expect(error.code).toBe('unknown_issuer')
    expect(error.message).toContain(`did you mean "${issuerOf('auth0')}"`)
    expect((await call('GET', '/v1/audio', { token })).status).toBe(200)
  })

  it('a sub without an issuer is 400 while the edge trusts other issuers: which user is meant is not guessed', async () => {
    const res = await call('POST', '/admin/revoke', { token: await edgeAdmin(), json: { sub: uniqueUser() } })
    await expectCode(res, 400, 'issuer_required')
    await expectCode(await call('POST', '/admin/revoke', { token: await edgeAdmin(), json: { sub: 'x', issuer: 42 } }), 400, 'invalid_request')
    await expectCode(await call('POST', '/admin/revoke', { token: await edgeAdmin(), json: { jti: 'x.y', issuer: 'cosyvoice-edge' } }), 400, 'invalid_request')
  })

  it("the exact issuer revokes that issuer's user, and only them", async () => {
    const sub = uniqueUser('same-name')
    const external = await tenantToken('auth0', { iat: fiveSecondsAgo() }, { sub })
    const edge = await tokenFor(sub, { iat: fiveSecondsAgo() })
    const res = await call('POST', '/admin/revoke', { token: await edgeAdmin(), json: { sub, issuer: issuerOf('auth0') } })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { revoked: { issuer: string } }).revoked.issuer).toBe(issuerOf('auth0'))
    expect((await call('GET', '/v1/audio', { token: external })).status).toBe(401)
    expect((await call('GET', '/v1/audio', { token: edge })).status).toBe(200)
  })
})

describe('every admin route that names its user by ?sub=&iss= applies the same rules', () => {
  const ID = '0000000000000000000000000000000a'
  const ROUTES: [string, string][] = [
    ['GET', '/admin/audit'],
    ['GET', '/admin/api-keys'],
    ['DELETE', `/admin/api-keys/${ID}`],
    ['GET', '/admin/takedowns'],
    ['GET', `/admin/takedowns/audio/${ID}`],
    ['GET', `/admin/takedowns/audio/${ID}/content`],
    ['DELETE', `/admin/takedowns/audio/${ID}`],
    ['POST', `/admin/takedowns/audio/${ID}/purge`],
    ['POST', `/admin/voices/${ID}/publish`],
    ['DELETE', `/admin/voices/${ID}/publish`],
  ]
  const query = (params: Record<string, string>) => `?${new URLSearchParams(params)}`

  for (const [method, path] of ROUTES) {
    it(`${method} ${path}: no user named, an empty sub, a sub too long, an unknown issuer (400); another issuer's user for an IdP's admin (403)`, async () => {
      const admin = await edgeAdmin()
      await expectCode(await call(method, `${path}${query({ iss: 'cosyvoice-edge' })}`, { token: admin }), 400, 'bad_request')
      await expectCode(await call(method, `${path}${query({ sub: '' })}`, { token: admin }), 400, 'bad_request')
      await expectCode(await call(method, `${path}${query({ sub: 'x'.repeat(513) })}`, { token: admin }), 400, 'bad_request')
      await expectCode(await call(method, `${path}${query({ sub: 'x', iss: 'https://nowhere.test' })}`, { token: admin }), 400, 'unknown_issuer')
      await expectCode(await call(method, `${path}${query({ sub: 'login-basic', iss: 'cosyvoice-edge' })}`, { token: await oktaAdmin() }), 403, 'insufficient_scope')
      // The longest sub a token may carry is still a user an admin can name.
      expect((await call(method, `${path}${query({ sub: 'x'.repeat(512) })}`, { token: admin })).status).not.toBe(400)
    })
  }
})
