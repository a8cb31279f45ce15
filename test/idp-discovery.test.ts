import { describe, expect, it } from 'vitest'
import { call, errorOf } from './support/api'
import { issuerOf, setDiscovery, tenantToken } from './support/idp'
import { watchLogLines } from './support/log-lines'
import { idpStats, idpToken, jwksUrl } from './support/tokens'
import { AUDIENCE, unknownRealmIssuer } from './support/auth-fixtures'

const logs = watchLogLines()

/** A 401 of an issuer the edge cannot use, with the reason in that request's log line. */
async function expectIssuerRefused(res: Response, logged: RegExp) {
  expect(res.status).toBe(401)
  expect((await errorOf(res)).code).toBe('invalid_token')
  expect(res.headers.get('www-authenticate')).toMatch(/issuer is not available/)
  expect(logs.reasonOf(res.headers.get('x-request-id'))).toMatch(logged)
}

describe('OIDC discovery: an entry with only an issuer', () => {
  it('finds the keys from /.well-known/openid-configuration (an issuer spelt with its trailing "/", as Auth0 does)', async () => {
    expect(issuerOf('auth0').endsWith('/')).toBe(true)
    expect((await call('GET', '/v1/audio', { token: await tenantToken('auth0', {}) })).status).toBe(200)
    expect((await idpStats('auth0')).discoveryFetches).toBeGreaterThan(0)
  })

  it('caches the document: many tokens, no new discovery fetch', async () => {
    // A tenant only this test uses: other files' first requests would count too.
    expect((await call('GET', '/v1/audio', { token: await tenantToken('keycloak-cache', {}) })).status).toBe(200)
    const before = await idpStats('keycloak-cache')
    expect(before.discoveryFetches).toBe(1)
    const tokens = await Promise.all(Array.from({ length: 20 }, () => tenantToken('keycloak-cache', {})))
    const statuses = await Promise.all(tokens.map(async (token) => (await call('GET', '/v1/audio', { token })).status))
    expect(statuses).toEqual(Array(20).fill(200))
    const after = await idpStats('keycloak-cache')
    expect(after.discoveryFetches).toBe(before.discoveryFetches)
    expect(after.fetches).toBe(before.fetches)
  })

  it('refuses an entry whose configured issuer is not the discovered one (a missing trailing "/")', async () => {
    // The provider says its issuer is ".../mismatch/"; the entry says ".../mismatch".
    const res = await call('GET', '/v1/audio', { token: await tenantToken('mismatch', {}) })
    await expectIssuerRefused(res, /ERR_ISSUER_MISCONFIGURED.*mismatch\/.*not the configured/)
    // Tokens spelt the provider's way match no entry: no user is ever created under either spelling.
    const now = Math.floor(Date.now() / 1000)
    const theirs = await idpToken('mismatch', { iss: `${issuerOf('mismatch')}/`, aud: AUDIENCE.mismatch, sub: 'someone', iat: now, exp: now + 600 })
    const other = await call('GET', '/v1/audio', { token: theirs })
    expect(other.status).toBe(401)
    expect(other.headers.get('www-authenticate')).toMatch(/invalid iss claim/)
  })

  it('a flood of tokens for a refused entry fetches its discovery document at most once per cooldown', async () => {
    // The mismatch entry keeps the default 30 s cooldown.
    expect((await call('GET', '/v1/audio', { token: await tenantToken('mismatch', {}) })).status).toBe(401)
    const before = (await idpStats('mismatch')).discoveryFetches
    const tokens = await Promise.all(Array.from({ length: 30 }, () => tenantToken('mismatch', {})))
    const statuses = await Promise.all(tokens.map(async (token) => (await call('GET', '/v1/audio', { token })).status))
    expect(statuses).toEqual(Array(30).fill(401))
    expect((await idpStats('mismatch')).discoveryFetches - before).toBeLessThanOrEqual(1)
  })

  it('fails closed when there is no discovery document: 401 with the reason logged', async () => {
    const res = await call('GET', '/v1/audio', { token: await tenantToken('nodisco', {}) })
    await expectIssuerRefused(res, /ERR_DISCOVERY_FAILED.*HTTP 503/)
    const tts = await call('POST', '/v1/tts', { token: await tenantToken('nodisco', {}), json: { text: 'hi', mode: 'sft', speaker: '中文女' } })
    expect(tts.status).toBe(401)
  })

  it('fails closed for an entry naming a realm the provider does not have (its discovery answers 404)', async () => {
    // Signed by a key the edge trusts for another issuer: only the unknown realm's own keys could do.
    const now = Math.floor(Date.now() / 1000)
    const token = await idpToken('stable', { iss: unknownRealmIssuer(jwksUrl()), aud: 'cosyvoice-edge', sub: 'someone', iat: now, exp: now + 600 })
    await expectIssuerRefused(await call('GET', '/v1/audio', { token }), /ERR_DISCOVERY_FAILED.*HTTP 404/)
  })

  it('keeps the last good document through an outage, and drops it when the provider names another issuer', async () => {
    // This tenant's entry caches nothing (max age 0, cooldown 0): every token asks again.
    await setDiscovery('flaky', 'ok')
    expect((await call('GET', '/v1/audio', { token: await tenantToken('flaky', {}) })).status).toBe(200)
    await setDiscovery('flaky', 'down')
    const during = await idpStats('flaky')
    expect((await call('GET', '/v1/audio', { token: await tenantToken('flaky', {}) })).status).toBe(200)
    expect((await idpStats('flaky')).discoveryFetches).toBeGreaterThan(during.discoveryFetches)
    await setDiscovery('flaky', 'mismatch')
    await expectIssuerRefused(await call('GET', '/v1/audio', { token: await tenantToken('flaky', {}) }), /ERR_ISSUER_MISCONFIGURED/)
    // Now the outage has no good document to fall back on.
    await setDiscovery('flaky', 'down')
    await expectIssuerRefused(await call('GET', '/v1/audio', { token: await tenantToken('flaky', {}) }), /ERR_ISSUER_MISCONFIGURED|ERR_DISCOVERY_FAILED/)
    await setDiscovery('flaky', 'ok')
    expect((await call('GET', '/v1/audio', { token: await tenantToken('flaky', {}) })).status).toBe(200)
  })
})
