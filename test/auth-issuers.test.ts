import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { getAuthConfig } from '../src/auth/auth-config'
import { verifyAccessToken } from '../src/auth/verify-token'
import { call, errorOf } from './support/api'
import { IDP } from './support/auth-fixtures'
import { idpStats, idpToken, rotateIdp, tokenFor, uniqueUser } from './support/tokens'

const claims = (idp: { issuer: string; audience: string }, sub = uniqueUser(), extra: Record<string, unknown> = {}) => {
  const now = Math.floor(Date.now() / 1000)
  return { iss: idp.issuer, aud: idp.audience, sub, iat: now, exp: now + 600, ...extra }
}

async function expect401(res: Response, description: RegExp) {
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toMatch(description)
  expect((await errorOf(res)).code).toBe('invalid_token')
}

describe('external identity providers (TRUSTED_ISSUERS)', () => {
  it('accepts a token of a trusted issuer, with the role from its configured claim', async () => {
    const token = await idpToken(IDP.stable.tenant, claims(IDP.stable, 'ext-user', { app: { role: 'premium' } }))
    const res = await call('GET', '/auth/me', { token })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ sub: 'ext-user', issuer: IDP.stable.issuer, role: 'premium' })
  })

  it('keeps users of different issuers apart: same sub, different user key', async () => {
    const sub = uniqueUser()
    const auth = await getAuthConfig(env)
    const external = await verifyAccessToken(await idpToken(IDP.stable.tenant, claims(IDP.stable, sub)), auth)
    const edge = await verifyAccessToken(await tokenFor(sub), auth)
    expect(external.sub).toBe(edge.sub)
    expect(external.key).not.toBe(edge.key)
  })

  it('refuses the wrong audience, an algorithm not allowed for the issuer, and an untrusted issuer', async () => {
    await expect401(await call('GET', '/v1/audio', { token: await idpToken(IDP.stable.tenant, claims({ ...IDP.stable, audience: 'someone-else' })) }), /aud/)
    const hs = await tokenFor(uniqueUser(), { issuer: IDP.stable.issuer, audience: IDP.stable.audience })
    await expect401(await call('GET', '/v1/audio', { token: hs }), /algorithm not allowed/)
    await expect401(await call('GET', '/v1/audio', { token: await idpToken(IDP.stable.tenant, claims({ ...IDP.stable, issuer: 'https://evil.test' })) }), /iss/)
  })

  it('a flood of tokens with random unknown kids causes no JWKS fetch within the cooldown', async () => {
    // Make sure the keys are cached (a fetch may or may not happen here).
    // A tenant only this test uses: other files' first requests would count too.
    expect((await call('GET', '/v1/audio', { token: await idpToken(IDP.flood.tenant, claims(IDP.flood)) })).status).toBe(200)
    const before = (await idpStats(IDP.flood.tenant)).fetches
    const tokens = await Promise.all(Array.from({ length: 100 }, () => idpToken(IDP.flood.tenant, claims(IDP.flood), `random-${crypto.randomUUID()}`)))
    const results = await Promise.all(tokens.map((token) => call('GET', '/v1/audio', { token })))
    expect(results.map((r) => r.status)).toEqual(Array(100).fill(401))
    expect(results[0]!.headers.get('www-authenticate')).toMatch(/unknown signing key/)
    // Bounded: at most one refetch per cooldown (30 s here), whatever the flood.
    expect((await idpStats(IDP.flood.tenant)).fetches - before).toBeLessThanOrEqual(1)
  })

  it('picks up a rotated IdP key by refetching on the unknown kid after the cooldown', async () => {
    const first = await idpToken(IDP.rotating.tenant, claims(IDP.rotating))
    expect((await call('GET', '/v1/audio', { token: first })).status).toBe(200)
    const fetchesBefore = (await idpStats(IDP.rotating.tenant)).fetches
    const newKid = await rotateIdp(IDP.rotating.tenant)
    const second = await idpToken(IDP.rotating.tenant, claims(IDP.rotating))
    // The cooldown of this issuer is 0.2 s: poll briefly until it has passed.
    await expect.poll(async () => (await call('GET', '/v1/audio', { token: second })).status, { interval: 100, timeout: 2000 }).toBe(200)
    const stats = await idpStats(IDP.rotating.tenant)
    expect(stats.kid).toBe(newKid)
    expect(stats.fetches).toBeGreaterThan(fetchesBefore)
    // The old key is gone from the IdP's JWKS, so its tokens no longer verify once refetched.
    expect((await call('GET', '/v1/audio', { token: first })).status).toBe(401)
  })

  it('fails closed when the IdP is down: 401, never admitted', async () => {
    const token = await idpToken(IDP.stable.tenant, claims(IDP.down))
    for (let i = 0; i < 3; i++) await expect401(await call('GET', '/v1/audio', { token }), /signing keys are unavailable/)
    const tts = await call('POST', '/v1/tts', { token, json: { text: 'hi', mode: 'sft', speaker: '中文女' } })
    expect(tts.status).toBe(401)
  })
})
