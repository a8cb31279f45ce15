import { describe, expect, it } from 'vitest'
import { parseTiers } from './tiers'

const failure = (raw: string) => {
  try {
    parseTiers(raw)
  } catch (e) {
    return (e as Error).message
  }
  throw new Error('parsed')
}

describe('parseTiers: one schema, each mistake named by its place in TIERS', () => {
  it('merges over the defaults; a new role starts from free, never more', () => {
    const tiers = parseTiers('{"free":{"per_day":null},"team":{"per_day":1000}}')
    expect(tiers.free).toMatchObject({ perMinute: 10, perDay: null, concurrency: 1 })
    expect(tiers.team).toEqual({ ...tiers.free, perDay: 1000 })
    expect(tiers.premium!.perDay).toBe(5000)
  })

  it('a role named like an Object property is a role like any other, starting from free', () => {
    const tiers = parseTiers('{"constructor":{"per_day":7}}')
    expect(Object.hasOwn(tiers, 'constructor')).toBe(true)
    expect(tiers.constructor).toEqual({ ...tiers.free, perDay: 7 })
  })

  it.each([
    ['[1]', 'TIERS must be a JSON object of role → limits'],
    ['5', 'TIERS must be a JSON object of role → limits'],
    ['{"Free":{}}', 'TIERS.Free is not a simple lowercase name'],
    ['{"__proto__":{"per_day":null}}', 'TIERS.__proto__ is not a simple lowercase name'],
    ['{"team":[]}', 'TIERS.team must be an object'],
    ['{"free":5}', 'TIERS.free must be an object'],
    ['{"free":{"per_hour":5}}', 'TIERS.free.per_hour is not a known limit (per_minute, per_day, concurrency, max_chars, storage_bytes, max_link_seconds, max_voices)'],
    ['{"free":{"per_minute":-1}}', 'TIERS.free.per_minute must be a non-negative integer or null'],
    ['{"free":{"per_minute":"5"}}', 'TIERS.free.per_minute must be a non-negative integer or null'],
    ['{"free":{"max_chars":null}}', 'TIERS.free.max_chars must be a non-negative integer'],
  ])('%s: %s', (raw, message) => {
    expect(failure(raw)).toBe(message)
  })
})
