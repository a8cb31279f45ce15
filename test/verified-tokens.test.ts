import { describe, expect, it } from 'vitest'
import { call } from './support/api'
import { appWith } from './support/app'
import { tokenFor, uniqueUser } from './support/tokens'

async function get(token: string, settings: Record<string, string> = {}): Promise<Response> {
  const edge = appWith(settings)
  const res = await edge.fetch(new Request('https://edge.test/v1/usage', { headers: { authorization: `Bearer ${token}` } }))
  await edge.settled()
  return res
}

describe('tokens verified before (src/auth/verified-tokens.ts)', () => {
  it('a token this isolate verified still stands only for itself: one changed character is refused', async () => {
    const token = await tokenFor(uniqueUser())
    expect((await call('GET', '/v1/usage', { token })).status).toBe(200)
    expect((await call('GET', '/v1/usage', { token })).status).toBe(200)
    const [h, p, s] = token.split('.')
    const flipped = `${h}.${p}.${s!.slice(0, -2)}${s!.at(-2) === 'A' ? 'B' : 'A'}${s!.at(-1)}`
    const res = await call('GET', '/v1/usage', { token: flipped })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
  })

  it('counts only under the configuration that verified it: after a new JWT_SECRET the same token is refused', async () => {
    const token = await tokenFor(uniqueUser())
    expect((await get(token)).status).toBe(200)
    expect((await get(token)).status).toBe(200)
    const rotated = await get(token, { JWT_SECRET: 'a-brand-new-secret-of-at-least-32-bytes!' })
    expect(rotated.status).toBe(401)
  })

  it('does not outlive a revocation: the next request after POST /admin/revoke is 401', async () => {
    const admin = await tokenFor(uniqueUser('admin'), { role: 'admin' })
    const jti = `cached-${crypto.randomUUID()}`
    const sub = uniqueUser()
    const token = await tokenFor(sub, { jti })
    expect((await call('GET', '/v1/usage', { token })).status).toBe(200)
    const revoke = await call('POST', '/admin/revoke', { token: admin, json: { jti, sub, issuer: 'cosyvoice-edge' } })
    expect(revoke.status, await revoke.clone().text()).toBe(200)
    expect((await call('GET', '/v1/usage', { token })).status).toBe(401)
  })
})
