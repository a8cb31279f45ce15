import { describe, expect, it } from 'vitest'
import { parseScopes } from '../src/auth/verify-token'
import { call, errorOf } from './support/api'
import { tokenFor, uniqueUser } from './support/tokens'

describe('parseScopes', () => {
  it('gives a token without scope every scope of its role; admin only to admins', () => {
    expect([...parseScopes(undefined, 'free')]).toEqual(['tts', 'audio', 'voices', 'share'])
    expect([...parseScopes(undefined, 'premium')]).toEqual(['tts', 'audio', 'voices', 'share'])
    expect([...parseScopes(undefined, 'admin')]).toEqual(['tts', 'audio', 'voices', 'share', 'admin'])
  })

  it('narrows to the listed scopes, space-separated or as a list', () => {
    expect([...parseScopes('tts audio', 'free')]).toEqual(['tts', 'audio'])
    expect([...parseScopes(['voices'], 'free')]).toEqual(['voices'])
  })

  it('never widens: unknown names are ignored, admin is not granted to a non-admin', () => {
    expect([...parseScopes('tts root *', 'free')]).toEqual(['tts'])
    expect([...parseScopes('admin tts', 'premium')]).toEqual(['tts'])
    expect([...parseScopes('', 'admin')]).toEqual([])
    expect([...parseScopes(42, 'admin')]).toEqual([])
  })
})

describe('scopes on routes', () => {
  it('a route outside the token scope → 403 insufficient_scope with the RFC 6750 challenge', async () => {
    const token = await tokenFor(uniqueUser(), { scope: 'audio' })
    expect((await call('GET', '/v1/audio', { token })).status).toBe(200)
    const res = await call('POST', '/v1/tts', { token, json: { text: 'hi', mode: 'sft', speaker: '中文女' } })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="cosyvoice-edge", error="insufficient_scope", error_description="[^"]+", scope="tts"$/)
    expect((await errorOf(res)).code).toBe('insufficient_scope')
  })

  it('an admin token narrowed to tts cannot use admin routes', async () => {
    const token = await tokenFor(uniqueUser(), { role: 'admin', scope: 'tts' })
    const res = await call('POST', '/admin/tokens', { token, json: { sub: 'x', ttl_seconds: 600 } })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toMatch(/scope="admin"/)
  })

  it('a free token claiming the admin scope gets no admin rights', async () => {
    const token = await tokenFor(uniqueUser(), { scope: 'admin tts' })
    expect((await call('POST', '/admin/revoke', { token, json: { sub: 'x' } })).status).toBe(403)
  })
})
