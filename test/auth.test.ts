import { describe, expect, it } from 'vitest'
import { call, errorOf } from './support/api'
import { tokenFor, uniqueUser } from './support/tokens'

const now = () => Math.floor(Date.now() / 1000)

async function expect401(res: Response, description: RegExp) {
  expect(res.status).toBe(401)
  const challenge = res.headers.get('www-authenticate') ?? ''
  expect(challenge).toMatch(/^Bearer realm="cosyvoice-edge", error="invalid_token", error_description="[^"]+"$/)
  expect(challenge).toMatch(description)
  const error = await errorOf(res)
  expect(error.code).toBe('invalid_token')
  expect(error.request_id).toBe(res.headers.get('x-request-id'))
}

describe('bearer tokens', () => {
  it('accepts a valid token', async () => {
    const res = await call('GET', '/v1/audio', { token: await tokenFor(uniqueUser()) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ items: [], cursor: null })
  })

  it('refuses a request without a token, and never runs the route', async () => {
    await expect401(await call('GET', '/v1/audio'), /missing bearer token/)
    await expect401(await call('POST', '/v1/tts', { json: { text: 'hi', mode: 'sft', speaker: '中文女' } }), /missing bearer token/)
  })

  it('refuses a tampered token', async () => {
    const token = await tokenFor(uniqueUser())
    const [h, p, s] = token.split('.')
    const payload = JSON.parse(atob(p!.replace(/-/g, '+').replace(/_/g, '/')))
    payload.role = 'admin'
    const forged = btoa(JSON.stringify(payload)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    await expect401(await call('GET', '/v1/audio', { token: `${h}.${forged}.${s}` }), /signature verification failed/)
    const flipped = s!.startsWith('A') ? `B${s!.slice(1)}` : `A${s!.slice(1)}`
    await expect401(await call('GET', '/v1/audio', { token: `${h}.${p}.${flipped}` }), /signature verification failed/)
  })

  it('refuses a token signed with another secret', async () => {
    const token = await tokenFor(uniqueUser(), { secret: 'another-secret-of-enough-length-0123456789' })
    await expect401(await call('GET', '/v1/audio', { token }), /signature verification failed/)
  })

  it('refuses an expired token, beyond the clock skew', async () => {
    const token = await tokenFor(uniqueUser(), { iat: now() - 3600, exp: now() - 120 })
    await expect401(await call('GET', '/v1/audio', { token }), /token expired/)
  })

  it('tolerates a few seconds of clock skew', async () => {
    const token = await tokenFor(uniqueUser(), { iat: now() - 3600, exp: now() - 5 })
    expect((await call('GET', '/v1/audio', { token })).status).toBe(200)
  })

  it('requires exp', async () => {
    const token = await tokenFor(uniqueUser(), { exp: null })
    await expect401(await call('GET', '/v1/audio', { token }), /missing \\?"?exp/)
  })

  it('requires a non-empty sub', async () => {
    await expect401(await call('GET', '/v1/audio', { token: await tokenFor(undefined) }), /sub/)
    await expect401(await call('GET', '/v1/audio', { token: await tokenFor('') }), /sub/)
  })

  it('refuses a token for another audience or issuer', async () => {
    await expect401(await call('GET', '/v1/audio', { token: await tokenFor(uniqueUser(), { audience: 'someone-else' }) }), /aud/)
    await expect401(await call('GET', '/v1/audio', { token: await tokenFor(uniqueUser(), { issuer: 'https://evil.example' }) }), /iss/)
  })

  it('refuses a token that is not yet valid, or issued in the future', async () => {
    await expect401(await call('GET', '/v1/audio', { token: await tokenFor(uniqueUser(), { nbf: now() + 600 }) }), /nbf/)
    await expect401(await call('GET', '/v1/audio', { token: await tokenFor(uniqueUser(), { iat: now() + 600, exp: now() + 1200 }) }), /future/)
  })

  it('allows only HS256 for edge tokens', async () => {
    const token = await tokenFor(uniqueUser(), { alg: 'HS384' })
    await expect401(await call('GET', '/v1/audio', { token }), /algorithm not allowed/)
    const none = `${btoa(JSON.stringify({ alg: 'none', typ: 'JWT' })).replace(/=+$/, '')}.${btoa(JSON.stringify({ sub: 'x', iss: 'cosyvoice-edge', aud: 'cosyvoice-edge', exp: now() + 60 })).replace(/=+$/, '')}.`
    expect((await call('GET', '/v1/audio', { token: none })).status).toBe(401)
  })

  it('refuses an oversized token before verifying it', async () => {
    const token = await tokenFor(uniqueUser(), { extra: { padding: 'x'.repeat(9000) } })
    await expect401(await call('GET', '/v1/audio', { token }), /too large/)
  })

  it('never reads a token from the query string', async () => {
    const token = await tokenFor(uniqueUser())
    await expect401(await call('GET', `/v1/audio?access_token=${token}`), /missing bearer token/)
  })

  it('answers 403 insufficient_scope when the token is narrowed', async () => {
    const token = await tokenFor(uniqueUser(), { scope: 'tts' })
    const res = await call('GET', '/v1/audio', { token })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/)
    expect((await errorOf(res)).code).toBe('insufficient_scope')
  })
})

describe('scopes of the routes under /v1/audio/<id>/', () => {
  it('a share-only token can share audio but not read it; an audio-only token cannot share', async () => {
    const sub = uniqueUser()
    const res = await call('POST', '/v1/tts', { token: await tokenFor(sub), json: { text: 'Hi.', mode: 'sft', speaker: '英文女' } })
    await res.arrayBuffer()
    const id = res.headers.get('x-audio-id')!
    const shareOnly = await tokenFor(sub, { scope: 'share' })
    expect((await call('POST', `/v1/audio/${id}/shares`, { token: shareOnly, json: { ttl_seconds: 60 } })).status).toBe(201)
    expect((await call('GET', `/v1/audio/${id}`, { token: shareOnly })).status).toBe(403)
    const audioOnly = await tokenFor(sub, { scope: 'audio' })
    expect((await call('POST', `/v1/audio/${id}/shares`, { token: audioOnly, json: { ttl_seconds: 60 } })).status).toBe(403)
    expect((await call('GET', `/v1/audio/${id}`, { token: audioOnly })).status).toBe(200)
  })
})

describe('errors', () => {
  it('answers an unknown route with a JSON 404', async () => {
    const res = await call('GET', '/nope')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/application\/json/)
    expect((await errorOf(res)).code).toBe('not_found')
  })
})
