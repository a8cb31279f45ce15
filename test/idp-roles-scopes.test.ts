import { describe, expect, it } from 'vitest'
import { call, errorOf } from './support/api'
import { AUDIENCE } from './support/auth-fixtures'
import { issuerOf, tenantToken } from './support/idp'
import { originRecords } from './support/origin'
import { uniqueUser } from './support/tokens'

/** The tts requests below must be refused before any synthesis: nothing may reach the origin. */
const sft = { text: 'hi', mode: 'sft', speaker: '中文女' }

async function me(token: string): Promise<{ sub: string; issuer: string; role: string; scopes: string[] }> {
  const res = await call('GET', '/auth/me', { token })
  expect(res.status).toBe(200)
  return (await res.json()) as { sub: string; issuer: string; role: string; scopes: string[] }
}

async function expectForbidden(res: Response, scope?: string) {
  expect(res.status).toBe(403)
  expect((await errorOf(res)).code).toBe('insufficient_scope')
  if (scope) expect(res.headers.get('www-authenticate')).toMatch(new RegExp(`error="insufficient_scope".*scope="${scope}"`))
}

describe('roles: only what the entry maps (finding 1)', () => {
  it("Keycloak: a realm role named admin is not the edge's admin when the entry does not map it", async () => {
    const token = await tenantToken('keycloak', { realm_access: { roles: ['admin', 'offline_access'] }, scope: 'openid profile tts audio voices share admin' })
    const user = await me(token)
    expect(user.role).toBe('free')
    expect(user.scopes).not.toContain('admin')
    const mint = await call('POST', '/admin/tokens', { token, json: { sub: 'alice', ttl_seconds: 600 } })
    await expectForbidden(mint)
    await expectForbidden(await call('GET', '/admin/origins', { token }))
    await expectForbidden(await call('POST', '/admin/revoke', { token, json: { sub: 'alice', issuer: 'cosyvoice-edge' } }))
  })

  it('Keycloak: a mapped realm role, read by JSON pointer, gives its tier', async () => {
    const token = await tenantToken('keycloak', { realm_access: { roles: ['offline_access', 'voice-premium'] } })
    expect((await me(token)).role).toBe('premium')
  })

  it("Clerk: the organisation role o.rol 'admin' is unmapped, so free; a mapped one gives its tier", async () => {
    const admin = await tenantToken('clerk', { o: { id: 'org_2x', rol: 'admin', slg: 'acme' }, azp: 'https://app.example' })
    expect((await me(admin)).role).toBe('free')
    await expectForbidden(await call('GET', '/admin/audit?sub=alice', { token: admin }))
    const paid = await tenantToken('clerk', { o: { id: 'org_2x', rol: 'voice_premium' } })
    expect((await me(paid)).role).toBe('premium')
  })

  it('a role claim of another type than a string or a list grants nothing', async () => {
    for (const roles of [{ 'voice-premium': true }, 7, null, [['voice-premium']]]) {
      expect((await me(await tenantToken('keycloak', { realm_access: { roles } }))).role).toBe('free')
    }
  })

  it('a role value that happens to be a tier name is not that tier unless mapped', async () => {
    // Entra maps only Voice.Premium; "premium" and "admin" are just strings to it.
    const token = await tenantToken('entra', { roles: ['premium', 'admin'], scp: 'tts audio' })
    expect((await me(token)).role).toBe('free')
  })

  it('the legacy dotted role_claim still reads a nested claim, through role_map', async () => {
    const { IDP } = await import('./support/auth-fixtures')
    const { idpToken } = await import('./support/tokens')
    const now = Math.floor(Date.now() / 1000)
    const claims = (role: string) => ({ iss: IDP.stable.issuer, aud: IDP.stable.audience, sub: uniqueUser(), iat: now, exp: now + 600, app: { role } })
    expect((await me(await idpToken('stable', claims('premium')))).role).toBe('premium')
    expect((await me(await idpToken('stable', claims('admin')))).role).toBe('free')
  })
})

describe('a namespaced role claim (finding 3)', () => {
  it('Auth0: https://cosyvoice.test/roles is read whole, not split on its dots', async () => {
    const token = await tenantToken('auth0', {
      'https://cosyvoice.test/roles': ['voice-premium'],
      permissions: ['tts', 'audio'],
      aud: [AUDIENCE.auth0, `${issuerOf('auth0')}userinfo`],
    })
    const user = await me(token)
    expect(user.role).toBe('premium')
    expect(user.issuer).toBe(issuerOf('auth0'))
    expect(user.issuer.endsWith('/')).toBe(true)
  })

  it('Auth0: without the namespaced claim the user is free', async () => {
    expect((await me(await tenantToken('auth0', { role: 'voice-premium' }))).role).toBe('free')
  })
})

describe('scopes: scope, scp or permissions, within what the tier allows (finding 2)', () => {
  it('Okta: scp ["audio"] lists audio but cannot synthesize, and nothing reaches the origin', async () => {
    const token = await tenantToken('okta', { scp: ['audio'], groups: ['Everyone'] })
    expect((await me(token)).scopes).toEqual(['audio'])
    expect((await call('GET', '/v1/audio', { token })).status).toBe(200)
    const tts = await call('POST', '/v1/tts', { token, json: sft })
    await expectForbidden(tts, 'tts')
    expect(await originRecords(tts.headers.get('x-request-id')!)).toEqual([])
  })

  it('Entra ID: scp as a space-separated string narrows the same way', async () => {
    const token = await tenantToken('entra', { scp: 'audio share', roles: ['Voice.Premium'] })
    const user = await me(token)
    expect(user.role).toBe('premium')
    expect(user.scopes.sort()).toEqual(['audio', 'share'])
    await expectForbidden(await call('POST', '/v1/tts', { token, json: sft }), 'tts')
  })

  it('Keycloak: the scope string narrows, and OIDC scopes there grant nothing', async () => {
    const token = await tenantToken('keycloak', { scope: 'openid profile email voices' })
    expect((await me(token)).scopes).toEqual(['voices'])
  })

  it('Auth0: permissions is the scope claim of that entry; scope (openid profile) is not read there', async () => {
    const token = await tenantToken('auth0', { permissions: ['tts'], scope: 'openid profile' })
    expect((await me(token)).scopes).toEqual(['tts'])
  })

  it('a scope the tier does not allow is dropped: admin in scp without a mapped admin role', async () => {
    const token = await tenantToken('okta', { scp: ['admin', 'tts'], groups: ['cosyvoice-premium'] })
    const user = await me(token)
    expect(user.role).toBe('premium')
    expect(user.scopes).toEqual(['tts'])
  })

  it('a mapped admin whose scp lacks admin cannot use admin routes', async () => {
    const token = await tenantToken('okta', { scp: ['tts', 'audio'], groups: ['cosyvoice-admins'] })
    expect((await me(token)).role).toBe('admin')
    await expectForbidden(await call('GET', '/admin/origins', { token }), 'admin')
  })

  it('an unreadable scope claim narrows to nothing (fail closed)', async () => {
    const token = await tenantToken('okta', { scp: { tts: true } })
    expect((await me(token)).scopes).toEqual([])
    await expectForbidden(await call('GET', '/v1/audio', { token }), 'audio')
  })

  it('without any scope claim the token has every scope of its tier, admin excepted', async () => {
    const token = await tenantToken('clerk', {})
    expect((await me(token)).scopes.sort()).toEqual(['audio', 'share', 'tts', 'voices'])
  })
})

describe('audiences and algorithms (finding 5: these made every route answer 500)', () => {
  it('Entra ID: an entry with an audience list accepts either audience, and refuses a third', async () => {
    for (const aud of AUDIENCE.entra) expect((await call('GET', '/v1/audio', { token: await tenantToken('entra', { aud }) })).status).toBe(200)
    const other = await call('GET', '/v1/audio', { token: await tenantToken('entra', { aud: 'api://someone-else' }) })
    expect(other.status).toBe(401)
    expect(other.headers.get('www-authenticate')).toMatch(/invalid aud claim/)
  })

  it('a token whose aud list holds the configured audience is accepted (Auth0: [api, userinfo])', async () => {
    const token = await tenantToken('auth0', { aud: ['https://elsewhere.test', AUDIENCE.auth0] })
    expect((await call('GET', '/v1/audio', { token })).status).toBe(200)
  })

  it('an entry written with Ed25519 (RFC 9864) verifies Ed25519 tokens, under either name', async () => {
    expect((await call('GET', '/v1/audio', { token: await tenantToken('ed25519', {}) })).status).toBe(200)
    expect((await call('GET', '/v1/audio', { token: await tenantToken('eddsa', {}, { alg: 'Ed25519' }) })).status).toBe(200)
    expect((await call('GET', '/v1/audio', { token: await tenantToken('eddsa', {}) })).status).toBe(200)
  })

  it('an algorithm outside the entry is refused even with the right key type: ES256 for an Ed25519 entry', async () => {
    // The okta tenant signs ES256; its token presented as the ed25519 issuer must fail on the algorithm.
    const { idpToken } = await import('./support/tokens')
    const now = Math.floor(Date.now() / 1000)
    const token = await idpToken('okta', { iss: issuerOf('ed25519'), aud: AUDIENCE.ed25519, sub: uniqueUser(), iat: now, exp: now + 600 })
    const res = await call('GET', '/v1/audio', { token })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/algorithm not allowed/)
  })
})
