import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { corsOrigins } from '../src/config/cors-origins'
import { call } from './support/api'
import { tokenFor, uniqueUser } from './support/tokens'

// vitest.config.ts lists https://app.example.com in CORS_ORIGINS.
const LISTED = 'https://app.example.com'
const UNLISTED = 'https://evil.example'

const preflight = (origin: string) =>
  exports.default.fetch(
    new Request('https://edge.test/v1/tts', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    }),
  )

describe('CORS', () => {
  it('a listed origin gets the preflight, cached, with credentials and never *', async () => {
    const res = await preflight(LISTED)
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(LISTED)
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/i)
    expect(res.headers.get('access-control-allow-headers')).toMatch(/X-CSRF-Token/i)
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0)
    expect(res.headers.get('vary')).toMatch(/Origin/)
  })

  it('an unlisted origin gets neither the preflight permissions nor credentials', async () => {
    const res = await preflight(UNLISTED)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
    expect(res.headers.get('access-control-allow-methods')).toBeNull()
    expect(res.headers.get('access-control-max-age')).toBeNull()
  })

  it('an actual request: the listed origin may read it (with exposed headers), the unlisted may not', async () => {
    const token = await tokenFor(uniqueUser())
    const listed = await call('GET', '/v1/usage', { token, headers: { origin: LISTED } })
    expect(listed.status).toBe(200)
    expect(listed.headers.get('access-control-allow-origin')).toBe(LISTED)
    expect(listed.headers.get('access-control-allow-credentials')).toBe('true')
    expect(listed.headers.get('access-control-expose-headers')).toContain('X-Audio-Id')
    expect(listed.headers.get('vary')).toMatch(/Origin/)

    const unlisted = await call('GET', '/v1/usage', { token, headers: { origin: UNLISTED } })
    expect(unlisted.status).toBe(200)
    expect(unlisted.headers.get('access-control-allow-origin')).toBeNull()
    expect(unlisted.headers.get('access-control-allow-credentials')).toBeNull()
  })

  it('errors carry the CORS headers too, so the listed front end can read why', async () => {
    const res = await call('GET', '/v1/usage', { headers: { origin: LISTED } })
    expect(res.status).toBe(401)
    expect(res.headers.get('access-control-allow-origin')).toBe(LISTED)
  })

  it('an origin that differs only by scheme, port or a suffix is not listed', async () => {
    for (const origin of ['http://app.example.com', 'https://app.example.com:8443', 'https://app.example.com.evil.example', 'null']) {
      const res = await preflight(origin)
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull()
    }
  })

  it('CORS_ORIGINS: none by default; a wildcard, a path or a non-origin is refused naming the setting', () => {
    expect(corsOrigins(undefined).size).toBe(0)
    expect(corsOrigins('').size).toBe(0)
    expect([...corsOrigins('https://a.example, http://localhost:5173')]).toEqual(['https://a.example', 'http://localhost:5173'])
    for (const bad of ['*', 'https://*.example.com', 'https://a.example/app', 'a.example', 'ftp://a.example']) expect(() => corsOrigins(bad), bad).toThrow(/CORS_ORIGINS/)
  })
})
