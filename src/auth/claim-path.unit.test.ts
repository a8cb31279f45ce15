import { describe, expect, it } from 'vitest'
import { claimAt, parseClaimPath, parseDottedPath } from './claim-path'

describe('claim paths', () => {
  it('takes a name whole, a JSON pointer apart, a list as keys', () => {
    expect(parseClaimPath('https://example.com/roles', 'x')).toEqual(['https://example.com/roles'])
    expect(parseClaimPath('scp', 'x')).toEqual(['scp'])
    expect(parseClaimPath('/realm_access/roles', 'x')).toEqual(['realm_access', 'roles'])
    expect(parseClaimPath('/a~1b/c~0d', 'x')).toEqual(['a/b', 'c~d'])
    expect(parseClaimPath('/app.role', 'x')).toEqual(['app.role'])
    expect(parseClaimPath(['o', 'rol'], 'x')).toEqual(['o', 'rol'])
  })

  it('refuses what it cannot read unambiguously, naming the setting', () => {
    expect(() => parseClaimPath('app.role', 'E.roles_claim')).toThrow(/E\.roles_claim "app\.role" is ambiguous/)
    for (const bad of ['', [], [''], ['a', 1], '/', '/a//b', '/a~2', 7, null, {}]) expect(() => parseClaimPath(bad, 'E')).toThrow(/^E/)
  })

  it('legacy dotted paths split on dots, and refuse a namespaced name', () => {
    expect(parseDottedPath('app.role', 'E')).toEqual(['app', 'role'])
    expect(() => parseDottedPath('https://example.com/role', 'E.role_claim')).toThrow(/use "roles_claim"/)
    expect(() => parseDottedPath('a..b', 'E')).toThrow()
  })

  it('reads own properties only', () => {
    const payload = { realm_access: { roles: ['a'] }, 'https://example.com/roles': ['b'], list: [{ x: 1 }] }
    expect(claimAt(payload, ['realm_access', 'roles'])).toEqual(['a'])
    expect(claimAt(payload, ['https://example.com/roles'])).toEqual(['b'])
    expect(claimAt(payload, ['realm_access', 'missing'])).toBeUndefined()
    expect(claimAt(payload, ['list', '0'])).toBeUndefined()
    expect(claimAt(payload, ['__proto__'])).toBeUndefined()
    expect(claimAt(payload, ['realm_access', 'constructor'])).toBeUndefined()
    expect(claimAt(payload, ['toString'])).toBeUndefined()
  })
})
