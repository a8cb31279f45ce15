import { describe, expect, it } from 'vitest'
import { redactPath } from './request-context'

describe('redactPath', () => {
  it('hides link tokens and share ids, keeps everything else', () => {
    expect(redactPath('/d/abc.def.123.sig')).toBe('/d/<redacted>')
    expect(redactPath('/s/shareid/audio')).toBe('/s/<redacted>/audio')
    expect(redactPath('/v1/audio/d33w/content')).toBe('/v1/audio/d33w/content')
    expect(redactPath('/v1/shares/abc')).toBe('/v1/shares/<redacted>')
    expect(redactPath('/v1/shares')).toBe('/v1/shares')
    expect(redactPath('/auth/invite/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toBe('/auth/invite/<redacted>')
  })
})
