import { describe, expect, it } from 'vitest'
import type { Principal } from './principal'
import { VerifiedTokens } from './verified-tokens'

const NOW = 1_800_000_000_000
const principal = (expiresAt: number): Principal => ({
  sub: 'alice',
  key: 'k',
  issuer: 'cosyvoice-edge',
  role: 'free',
  scopes: new Set(['tts']),
  adminReach: 'issuer',
  jti: 'j',
  issuedAt: NOW / 1000,
  expiresAt,
  authTime: NOW / 1000,
  sessionId: undefined,
})

describe('VerifiedTokens', () => {
  it('answers for a token it verified, for at most a minute', () => {
    const tokens = new VerifiedTokens()
    const p = principal(NOW / 1000 + 3600)
    tokens.remember('t1', p, NOW)
    expect(tokens.get('t1', NOW + 59_000)).toBe(p)
    expect(tokens.get('t1', NOW + 60_000)).toBeUndefined()
    expect(tokens.get('t2', NOW)).toBeUndefined()
  })

  it("never past the token's exp, and not at all for one already expired", () => {
    const tokens = new VerifiedTokens()
    tokens.remember('soon', principal(NOW / 1000 + 5), NOW)
    expect(tokens.get('soon', NOW + 4_999)).toBeDefined()
    expect(tokens.get('soon', NOW + 5_000)).toBeUndefined()
    tokens.remember('late', principal(NOW / 1000 - 1), NOW)
    expect(tokens.get('late', NOW)).toBeUndefined()
  })

  it('keeps its memory bounded: the oldest go first, and very long tokens are never kept', () => {
    const tokens = new VerifiedTokens()
    const p = principal(NOW / 1000 + 3600)
    tokens.remember('x'.repeat(5000), p, NOW)
    expect(tokens.get('x'.repeat(5000), NOW)).toBeUndefined()
    const token = (i: number) => `${String(i).padStart(8, '0')}${'y'.repeat(4088)}`
    for (let i = 0; i < 1100; i++) tokens.remember(token(i), p, NOW)
    // 4 MiB of 4 KiB tokens: 1024 fit; the first ones were dropped, the last ones kept.
    expect(tokens.get(token(0), NOW)).toBeUndefined()
    expect(tokens.get(token(1099), NOW)).toBe(p)
  })
})
