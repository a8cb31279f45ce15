import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { errorOf } from './support/api'
import { appWith } from './support/app'
import { AUDIENCE } from './support/auth-fixtures'
import { issuerOf, tenantToken } from './support/idp'
import { watchLogLines } from './support/log-lines'
import { jwksUrl, tokenFor, uniqueUser } from './support/tokens'

const logs = watchLogLines()

/** An Access application's JWT, as Cloudflare signs it for a person (aud is a list of AUD tags). */
const accessJwt = (extra: Record<string, unknown> = {}, sub = crypto.randomUUID()) =>
  tenantToken('access', { aud: [AUDIENCE.access], email: 'someone@example.com', type: 'app', identity_nonce: 'n0nce', country: 'FR', ...extra }, { sub })

function request(method: string, path: string, headers: Record<string, string>): Promise<Response> {
  return exports.default.fetch(new Request(`https://edge.test${path}`, { method, headers }))
}

describe('Cloudflare Access as an issuer', () => {
  it('accepts the Cf-Access-Jwt-Assertion header Access adds, with the entry default_role', async () => {
    const sub = crypto.randomUUID()
    const res = await request('GET', '/auth/me', { 'cf-access-jwt-assertion': await accessJwt({}, sub) })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ sub, issuer: issuerOf('access'), role: 'premium' })
    expect((await request('GET', '/v1/audio', { 'cf-access-jwt-assertion': await accessJwt() })).status).toBe(200)
  })

  it('refuses an Access JWT for another application (another AUD tag)', async () => {
    const res = await request('GET', '/v1/audio', { 'cf-access-jwt-assertion': await accessJwt({ aud: ['0'.repeat(64)] }) })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/invalid aud claim/)
  })

  it('takes only Access tokens from its header and cookie: an edge token or another IdP token there is refused', async () => {
    for (const token of [await tokenFor(uniqueUser()), await tenantToken('okta', {})]) {
      const header = await request('GET', '/v1/audio', { 'cf-access-jwt-assertion': token })
      expect(header.status).toBe(401)
      expect(header.headers.get('www-authenticate')).toMatch(/not a Cloudflare Access token/)
      expect((await request('GET', '/v1/audio', { cookie: `CF_Authorization=${token}` })).status).toBe(401)
    }
  })

  it('an Authorization header wins over the Access header (a program behind Access using its own token)', async () => {
    const sub = uniqueUser()
    const res = await request('GET', '/auth/me', { authorization: `Bearer ${await tokenFor(sub)}`, 'cf-access-jwt-assertion': await accessJwt() })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ sub, issuer: 'cosyvoice-edge' })
  })

  it('reads the CF_Authorization cookie; an unsafe method by it must come from this origin (CSRF)', async () => {
    const cookie = `CF_Authorization=${await accessJwt()}`
    expect((await request('GET', '/v1/audio', { cookie })).status).toBe(200)
    const id = '0000000000000000000000000000000a'
    const crossSite = await request('DELETE', `/v1/audio/${id}`, { cookie, origin: 'https://evil.example' })
    expect(crossSite.status).toBe(403)
    expect((await errorOf(crossSite)).code).toBe('csrf_failed')
    const noOrigin = await request('DELETE', `/v1/audio/${id}`, { cookie })
    expect(noOrigin.status).toBe(403)
    // Same origin: authenticated, and then the route's own answer (no such audio).
    expect((await request('DELETE', `/v1/audio/${id}`, { cookie, origin: 'https://edge.test' })).status).toBe(404)
    expect((await request('DELETE', `/v1/audio/${id}`, { cookie, 'sec-fetch-site': 'same-origin' })).status).toBe(404)
    // The Access header itself needs no such check: a page on another site cannot set it.
    expect((await request('DELETE', `/v1/audio/${id}`, { 'cf-access-jwt-assertion': await accessJwt(), origin: 'https://evil.example' })).status).toBe(404)
  })

  it('a service token (no user: empty sub) is refused', async () => {
    const res = await request('GET', '/v1/audio', { 'cf-access-jwt-assertion': await accessJwt({ common_name: 'abc.access', sub: '' }, '') })
    expect(res.status).toBe(401)
  })

  it('a broken cloudflare_access entry still reads the header, to refuse its tokens with the reason logged', async () => {
    const broken = appWith({
      TRUSTED_ISSUERS: JSON.stringify([{ type: 'cloudflare_access', team_domain: `${jwksUrl()}/access`, audience: AUDIENCE.access, default_role: 'admin' }]),
    })
    const res = await broken.fetch(new Request('https://edge.test/v1/audio', { headers: { 'cf-access-jwt-assertion': await accessJwt() } }))
    await broken.settled()
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/issuer is not available/)
    expect(logs.reasonOf(res.headers.get('x-request-id'))).toMatch(/ERR_ISSUER_MISCONFIGURED: TRUSTED_ISSUERS\[0\]\.default_role cannot be admin/)
  })

  it('without a cloudflare_access entry, neither the header nor the cookie is read', async () => {
    const withoutAccess = appWith({ TRUSTED_ISSUERS: JSON.stringify([{ issuer: issuerOf('okta'), audience: AUDIENCE.okta, algorithms: ['ES256'] }]) })
    const token = await accessJwt()
    const sources: Record<string, string>[] = [{ 'cf-access-jwt-assertion': token }, { cookie: `CF_Authorization=${token}` }]
    for (const headers of sources) {
      const res = await withoutAccess.fetch(new Request('https://edge.test/v1/audio', { headers }))
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/missing bearer token/)
    }
    await withoutAccess.settled()
  })
})
