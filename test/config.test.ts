import { describe, expect, it } from 'vitest'
import { appWith } from './support/app'
import { tokenFor, uniqueUser } from './support/tokens'

/** The app over the test bindings with some settings changed or removed. */
async function callWith(overrides: Record<string, unknown>, path = '/v1/audio') {
  const token = await tokenFor(uniqueUser())
  const edge = appWith(overrides)
  const res = await edge.fetch(new Request(`https://edge.test${path}`, { headers: { authorization: `Bearer ${token}` } }))
  await edge.settled()
  return res
}

/** A well-formed PBKDF2 hash (of nothing in particular): the legacy AUTH_USERS cases fail elsewhere. */
const LEGACY_HASH = `pbkdf2-sha256$100000$${'A'.repeat(22)}$${'A'.repeat(43)}`

describe('configuration fails closed', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['no JWT_SECRET', { JWT_SECRET: undefined }, /JWT_SECRET is not set/],
    ['a short JWT_SECRET', { JWT_SECRET: 'short' }, /JWT_SECRET must be at least 32 bytes/],
    ['no ORIGIN_SECRET', { ORIGIN_SECRET: undefined }, /ORIGIN_SECRET is not set/],
    ['no ORIGINS', { ORIGINS: undefined }, /ORIGINS is not set/],
    ['ORIGINS that is not JSON', { ORIGINS: '[nope' }, /ORIGINS is not valid JSON/],
    ['an origin with a bad concurrency', { ORIGINS: '[{"url":"http://127.0.0.1:1","concurrency":0}]' }, /ORIGINS\[0\]\.concurrency/],
    ['TIERS with an unknown limit', { TIERS: '{"free":{"per_hour":5}}' }, /TIERS\.free\.per_hour is not a known limit/],
    ['TIERS with a negative limit', { TIERS: '{"free":{"per_minute":-1}}' }, /TIERS\.free\.per_minute must be a non-negative integer/],
    ['an unknown ORIGIN_POOL_LOCATION', { ORIGIN_POOL_LOCATION: 'mars' }, /ORIGIN_POOL_LOCATION must be one of wnam, enam/],
    ['no R2 binding', { AUDIO: undefined }, /R2 binding AUDIO/],
    ['an origin URL that is not http(s)', { ORIGINS: '[{"url":"ftp://gpu-1"}]' }, /ORIGINS\[0\]\.url must be http\(s\)/],
    ['an origin that is neither a URL nor an object', { ORIGINS: '[5]' }, /ORIGINS\[0\] must be a URL or an object with "url"/],
    ['an origin with a misspelt setting', { ORIGINS: '[{"url":"http://127.0.0.1:1","concurency":4}]' }, /ORIGINS\[0\]\.concurency is not an origin setting \(url, concurrency,/],
    ['AUTH_USERS that is a list', { AUTH_USERS: '[]' }, /AUTH_USERS must be a JSON object of username → \{role, password\}/],
    ['an AUTH_USERS entry with a misspelt setting', { AUTH_USERS: '{"alice":{"pasword":"x"}}' }, /AUTH_USERS\.alice\.password must be a PBKDF2 hash string/],
    ['an AUTH_USERS password that is no hash', { AUTH_USERS: '{"alice":{"password":"hunter2"}}' }, /AUTH_USERS\.alice\.password must look like pbkdf2-sha256\$/],
    [
      'an AUTH_USERS role that is not a role name',
      { AUTH_USERS: `{"alice":{"password":"${LEGACY_HASH}","role":"Admin!"}}` },
      /AUTH_USERS\.alice\.role must be a simple lowercase name/,
    ],
    [
      'an AUTH_USERS user named like an Object property, with a bad hash',
      { AUTH_USERS: '{"constructor":{"password":"x"}}' },
      /AUTH_USERS\.constructor\.password must look like pbkdf2-sha256\$/,
    ],
    ['a pool setting that is not a number', { ORIGIN_QUEUE_MAX: 'lots' }, /ORIGIN_QUEUE_MAX must be a whole number from 0 to 100000/],
    ['a timeout out of range', { ORIGIN_IDLE_TIMEOUT_MS: '5' }, /ORIGIN_IDLE_TIMEOUT_MS must be a whole number of milliseconds from 100 to 600000/],
    ['a token lifetime out of range', { ACCESS_TTL: '5' }, /ACCESS_TTL must be a whole number of seconds from 60 to 86400/],
  ]
  for (const [name, overrides, message] of cases) {
    it(`answers 500 naming the setting for ${name}, and never serves the request`, async () => {
      const res = await callWith(overrides)
      expect(res.status).toBe(500)
      const body = (await res.json()) as { error: { code: string; message: string } }
      expect(body.error.code).toBe('misconfigured')
      expect(body.error.message).toMatch(message)
    })
  }

  it('an old AUTH_USERS copy with an extra key in an entry still serves requests (it is only read to be imported once)', async () => {
    const name = `legacy-${crypto.randomUUID().slice(0, 8)}`
    const res = await callWith({ AUTH_USERS: `{"${name}":{"password":"${LEGACY_HASH}","note":"from the old README"}}` })
    expect(res.status).toBe(200)
  })

  it('keeps secrets out of the error', async () => {
    const res = await callWith({ JWT_SECRET: 'too-short-but-unique-x1' })
    const text = await res.text()
    expect(text).toMatch(/JWT_SECRET/)
    expect(text).not.toContain('too-short-but-unique-x1')
  })
})
