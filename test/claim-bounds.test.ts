import { describe, expect, it } from 'vitest'
import { call, errorOf } from './support/api'
import { IDP } from './support/auth-fixtures'
import { idpToken, tokenFor, uniqueUser } from './support/tokens'

/**
 * Issue 13, finding 3: a correctly signed token whose dates no Date can hold (`exp: 1e20`) reached a
 * 500 on GET /auth/me. Every date claim is now bounded before it is used: a clear 401, never a 5xx.
 */
const now = () => Math.floor(Date.now() / 1000)

async function expectInvalidToken(res: Response, claim: string) {
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
  const error = await errorOf(res)
  expect(error.code).toBe('invalid_token')
  expect(error.message).toContain(claim)
}

describe('date claims out of range', () => {
  it('exp: 1e20 on GET /auth/me is a 401 invalid_token, not a 500', async () => {
    const token = await tokenFor(uniqueUser(), { exp: 1e20 })
    await expectInvalidToken(await call('GET', '/auth/me', { token }), 'exp')
    // Every route that reads the token refuses it the same way, before doing anything.
    await expectInvalidToken(await call('POST', '/auth/logout', { token }), 'exp')
    await expectInvalidToken(await call('GET', '/v1/usage', { token }), 'exp')
  })

  it.each([
    ['iat', { iat: -1e20 }],
    ['iat', { iat: 1.5 * 2 ** 1023 }],
    ['nbf', { nbf: -1e20 }],
    ['auth_time', { extra: { auth_time: 1e20 } }],
    ['auth_time', { extra: { auth_time: -5 } }],
  ])('%s out of range → 401 naming it', async (claim, options) => {
    const token = await tokenFor(uniqueUser(), options)
    await expectInvalidToken(await call('GET', '/auth/me', { token }), claim)
  })

  it('an auth_time in the future cannot make a token "fresh" forever', async () => {
    const token = await tokenFor(uniqueUser(), { extra: { auth_time: now() + 3600 } })
    await expectInvalidToken(await call('POST', '/auth/logout-all', { token }), 'auth_time')
  })

  it('the latest date that fits is still accepted and shown', async () => {
    const token = await tokenFor(uniqueUser(), { exp: 253_402_300_799 })
    const res = await call('GET', '/auth/me', { token })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { expires_at: string }).expires_at).toBe('9999-12-31T23:59:59.000Z')
    // Logging it out remembers the revocation until then: no overflow in the user's object.
    expect((await call('POST', '/auth/logout', { token })).status).toBe(204)
    expect((await call('GET', '/auth/me', { token })).status).toBe(401)
  })

  it('an identity provider token with exp: 1e20 is refused the same way', async () => {
    const token = await idpToken(IDP.stable.tenant, { iss: IDP.stable.issuer, aud: IDP.stable.audience, sub: uniqueUser(), exp: 1e20, iat: now() })
    await expectInvalidToken(await call('GET', '/auth/me', { token }), 'exp')
  })

  it("a body's date is bounded too: POST /admin/revoke with exp: 1e20 is a 400", async () => {
    const admin = await tokenFor(uniqueUser('admin'), { role: 'admin' })
    for (const exp of [1e20, 253_402_300_800]) {
      const res = await call('POST', '/admin/revoke', { token: admin, json: { jti: 'foreign-jti', sub: uniqueUser(), issuer: 'cosyvoice-edge', exp } })
      expect(res.status).toBe(400)
      expect((await errorOf(res)).message).toMatch(/"exp" must be/)
    }
    expect((await call('POST', '/admin/revoke', { token: admin, json: { jti: 'foreign-jti', sub: uniqueUser(), issuer: 'cosyvoice-edge', exp: 253_402_300_799 } })).status).toBe(
      200,
    )
  })
})
