import { describe, expect, it } from 'vitest'
import { call, errorOf } from './support/api'
import { appWith } from './support/app'
import { BROKEN, IDP } from './support/auth-fixtures'
import { tenantToken } from './support/idp'
import { watchLogLines } from './support/log-lines'
import { idpToken, tokenFor, uniqueUser } from './support/tokens'

const logs = watchLogLines()

/** A token with a given issuer, signed by the stable tenant's key (verification must never get that far). */
async function tokenOf(issuer: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return idpToken(IDP.stable.tenant, { iss: issuer, aud: 'cosyvoice-edge', sub: uniqueUser(), iat: now, exp: now + 600 })
}

/** The app over the test bindings with TRUSTED_ISSUERS replaced (a fresh config, built for this env). */
async function callWithIssuers(trustedIssuers: string, token: string, path = '/v1/audio'): Promise<Response> {
  const edge = appWith({ TRUSTED_ISSUERS: trustedIssuers })
  const res = await edge.fetch(new Request(`https://edge.test${path}`, { headers: { authorization: `Bearer ${token}` } }))
  await edge.settled()
  return res
}

describe('a broken TRUSTED_ISSUERS entry fails alone and loudly (finding 5)', () => {
  const cases: [string, string, RegExp][] = [
    ['an algorithm jose does not know', BROKEN.badAlg, /algorithms: "RS257" is not allowed/],
    ['a misspelt field', BROKEN.typo, /unknown field "role_mapping"/],
    ['every user made admin by default', BROKEN.adminDefault, /default_role cannot be admin/],
    ['an issuer listed twice', BROKEN.twice, /listed more than once/],
  ]
  for (const [name, issuer, reason] of cases) {
    it(`${name}: its tokens get 401 with the reason in the log; the edge's and other issuers' tokens keep working`, async () => {
      const res = await call('GET', '/v1/audio', { token: await tokenOf(issuer) })
      expect(res.status).toBe(401)
      expect((await errorOf(res)).code).toBe('invalid_token')
      expect(res.headers.get('www-authenticate')).toMatch(/issuer is not available/)
      // The client learns nothing of the configuration; the operator's log has all of it.
      expect(res.headers.get('www-authenticate')).not.toMatch(reason)
      expect(logs.reasonOf(res.headers.get('x-request-id'))).toMatch(reason)
      expect((await call('GET', '/v1/audio', { token: await tokenFor(uniqueUser()) })).status).toBe(200)
      expect((await call('GET', '/v1/audio', { token: await tenantToken('okta', {}) })).status).toBe(200)
    })
  }

  it('TRUSTED_ISSUERS that is not JSON: edge tokens still work, external ones get 401 naming the setting in the log', async () => {
    const edge = await callWithIssuers('[{"issuer": ', await tokenFor(uniqueUser()))
    expect(edge.status).toBe(200)
    expect(logs.errors().map((l) => l.config_error)).toContain('TRUSTED_ISSUERS is not valid JSON')
    const external = await callWithIssuers('[{"issuer": ', await tenantToken('okta', {}))
    expect(external.status).toBe(401)
    expect(logs.reasonOf(external.headers.get('x-request-id'))).toMatch(/ERR_ISSUER_NOT_TRUSTED.*TRUSTED_ISSUERS is not valid JSON/)
  })

  it('the configurations of the report (Ed25519, an audience list) no longer answer 500 for anyone', async () => {
    const issuers = JSON.stringify([
      { issuer: 'https://a.test', jwks_uri: 'https://a.test/jwks', audience: 'x', algorithms: ['Ed25519'] },
      { issuer: 'https://b.test', jwks_uri: 'https://b.test/jwks', audience: ['x', 'y'] },
    ])
    expect((await callWithIssuers(issuers, await tokenFor(uniqueUser()))).status).toBe(200)
    expect(logs.errors()).toEqual([])
  })

  it('reports every broken entry once when the configuration is built', async () => {
    const issuers = JSON.stringify([
      { issuer: 'https://ok.test', jwks_uri: 'https://ok.test/jwks', audience: 'x' },
      { issuer: 'https://no-audience.test', jwks_uri: 'https://no-audience.test/jwks' },
      { issuer: 'http://plain-http.test', audience: 'x' },
      { issuer: 'https://split.test', jwks_uri: 'https://split.test/jwks', audience: 'x', roles_claim: 'app.role' },
      { issuer: 'https://tier.test', jwks_uri: 'https://tier.test/jwks', audience: 'x', roles_claim: 'r', role_map: { boss: 'emperor' } },
      'not an object',
    ])
    expect((await callWithIssuers(issuers, await tokenFor(uniqueUser()))).status).toBe(200)
    expect(logs.errors().map((l) => l.config_error)).toEqual([
      'TRUSTED_ISSUERS[1].audience must be a non-empty string or a non-empty list of them',
      'TRUSTED_ISSUERS[2].issuer must be an https URL to discover the keys from, or the entry needs jwks_uri',
      'TRUSTED_ISSUERS[3].roles_claim "app.role" is ambiguous: write ["app","role"] for a nested claim, or "/app.role" for one claim of that name',
      expect.stringMatching(/^TRUSTED_ISSUERS\[4\]\.role_map\["boss"\] must name a tier of TIERS/),
      'TRUSTED_ISSUERS[5] must be an object',
    ])
  })
})
