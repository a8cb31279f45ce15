import { env } from 'cloudflare:workers'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWK } from 'jose'
import { describe, expect, inject, it } from 'vitest'
import { getAuthConfig } from '../src/auth/auth-config'
import { parseSigningKeys } from '../src/auth/signing-keys'
import { verifyAccessToken } from '../src/auth/verify-token'
import { issueAccessToken } from '../src/tokens/issue-token'
import { ConfigError } from '../src/config/config-error'
import { call, errorOf } from './support/api'
import { es256TokenFor, loggedIn, tokenFor, uniqueUser } from './support/tokens'

const { current: SIGNING_KEY, previous: PREVIOUS_SIGNING_KEY, stranger: STRANGER_KEY, ed25519: ED25519_KEY } = inject('signingKeys')

async function expect401(res: Response, description: RegExp) {
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toMatch(description)
  expect((await errorOf(res)).code).toBe('invalid_token')
}

describe('the edge signs with SIGNING_JWK and publishes its keys', () => {
  it('serves the public halves of the current and previous keys at /.well-known/jwks.json', async () => {
    const res = await call('GET', '/.well-known/jwks.json')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/application\/jwk-set\+json/)
    const { keys } = (await res.json()) as { keys: JWK[] }
    expect(keys.map((k) => k.kid)).toEqual(['test-current', 'test-previous'])
    for (const key of keys) {
      expect(key).not.toHaveProperty('d')
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    }
  })

  it('issues ES256 tokens with the current kid that verify against the published JWKS', async () => {
    const { access_token } = await loggedIn('login-jwks')
    expect(decodeProtectedHeader(access_token)).toMatchObject({ alg: 'ES256', kid: 'test-current' })
    const jwks = createLocalJWKSet((await (await call('GET', '/.well-known/jwks.json')).json()) as { keys: JWK[] })
    const { payload } = await jwtVerify(access_token, jwks, { issuer: 'cosyvoice-edge', audience: 'cosyvoice-edge', algorithms: ['ES256'] })
    expect(payload.sub).toBe('login-jwks')
  })

  it('keeps accepting tokens of SIGNING_JWK_PREVIOUS during a rotation, and HS256 tokens', async () => {
    expect((await call('GET', '/v1/audio', { token: await es256TokenFor(PREVIOUS_SIGNING_KEY, uniqueUser()) })).status).toBe(200)
    expect((await call('GET', '/v1/audio', { token: await es256TokenFor(SIGNING_KEY, uniqueUser()) })).status).toBe(200)
    expect((await call('GET', '/v1/audio', { token: await tokenFor(uniqueUser()) })).status).toBe(200)
  })

  it('stops accepting the previous key once SIGNING_JWK_PREVIOUS is removed', async () => {
    const token = await es256TokenFor(PREVIOUS_SIGNING_KEY, uniqueUser())
    const rotated = await getAuthConfig({ ...env, SIGNING_JWK_PREVIOUS: undefined })
    await expect(verifyAccessToken(token, rotated)).rejects.toMatchObject({ reason: 'unknown signing key' })
    await expect(verifyAccessToken(token, await getAuthConfig(env))).resolves.toMatchObject({ issuer: 'cosyvoice-edge' })
  })

  it('refuses an unknown key, a known kid with the wrong key, and an HMAC made with a public key', async () => {
    await expect401(await call('GET', '/v1/audio', { token: await es256TokenFor(STRANGER_KEY, uniqueUser()) }), /unknown signing key/)
    await expect401(await call('GET', '/v1/audio', { token: await es256TokenFor(STRANGER_KEY, uniqueUser(), { kid: 'test-current' }) }), /signature verification failed/)
    // The classic confusion attack: HS256 keyed with the published public key. HS256 only ever uses JWT_SECRET.
    const published = JSON.stringify({ ...SIGNING_KEY, d: undefined })
    const confused = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'test-current' })
      .setIssuer('cosyvoice-edge')
      .setAudience('cosyvoice-edge')
      .setSubject(uniqueUser())
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(published))
    await expect401(await call('GET', '/v1/audio', { token: confused }), /signature verification failed/)
  })

  it('signs and verifies with an EdDSA key too', async () => {
    const config = { ...(await getAuthConfig(env)), edge: { ...(await getAuthConfig(env)).edge, signing: await parseSigningKeys(JSON.stringify(ED25519_KEY), undefined) } }
    const { token } = await issueAccessToken(config, { sub: 'ed-user', jti: 'j', role: 'free', ttlSeconds: 60 })
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', kid: 'test-ed' })
    await expect(verifyAccessToken(token, config)).resolves.toMatchObject({ sub: 'ed-user' })
  })

  it('refuses bad key settings, naming the setting', async () => {
    const bad: Array<[string | undefined, string | undefined, RegExp]> = [
      ['{', undefined, /SIGNING_JWK is not valid JSON/],
      [JSON.stringify({ ...SIGNING_KEY, kid: undefined }), undefined, /SIGNING_JWK needs a "kid"/],
      [JSON.stringify({ ...SIGNING_KEY, alg: 'HS256' }), undefined, /SIGNING_JWK needs "alg" ES256 or EdDSA/],
      [JSON.stringify({ ...SIGNING_KEY, d: undefined }), undefined, /SIGNING_JWK must be a private key/],
      [JSON.stringify({ ...SIGNING_KEY, alg: 'EdDSA' }), undefined, /EdDSA needs an OKP Ed25519 key/],
      [undefined, JSON.stringify(PREVIOUS_SIGNING_KEY), /SIGNING_JWK_PREVIOUS is set without SIGNING_JWK/],
      [JSON.stringify(SIGNING_KEY), JSON.stringify(SIGNING_KEY), /another "kid"/],
    ]
    for (const [current, previous, message] of bad) {
      const attempt = parseSigningKeys(current, previous)
      await expect(attempt).rejects.toBeInstanceOf(ConfigError)
      await expect(attempt).rejects.toThrow(message)
    }
    expect(await parseSigningKeys(undefined, undefined)).toBeUndefined()
  })

  it('answers a clear 500 when a key setting is broken (fail closed)', async () => {
    const broken = { ...env, SIGNING_JWK: '{"kid":"x"}' }
    await expect(getAuthConfig(broken)).rejects.toThrow(/SIGNING_JWK/)
  })
})
