import { describe, expect, it } from 'vitest'
import { fromBase62, randomBase62, toBase62 } from '../codecs/base62'
import { crc32 } from '../codecs/crc32'
import { userKey } from './user-key'
import { apiKeyPrefix, isApiKeyId, looksLikeApiKey, newApiKey, parseApiKey } from './api-key-format'

describe('API key text', () => {
  it('round-trips: a new key parses back to its id and owner, and its prefix names it', async () => {
    const owner = await userKey('cosyvoice-edge', 'alice')
    const { id, text } = newApiKey(owner)
    expect(text).toMatch(/^cve_[0-9A-Za-z]{104}$/)
    expect(text.startsWith(apiKeyPrefix(id))).toBe(true)
    expect(isApiKeyId(id)).toBe(true)
    expect(looksLikeApiKey(text)).toBe(true)
    expect(parseApiKey(text)).toEqual({ id, userKey: owner })
    expect(newApiKey(owner).text).not.toBe(text)
  })

  it('refuses every one-character typo and every swap of different neighbours, offline', async () => {
    const { text } = newApiKey(await userKey('cosyvoice-edge', 'bob'))
    const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
    let tried = 0
    for (let i = 4; i < text.length; i++) {
      for (const d of digits) {
        if (d === text[i]) continue
        tried++
        expect(parseApiKey(text.slice(0, i) + d + text.slice(i + 1))).toBeNull()
      }
      if (i + 1 < text.length && text[i] !== text[i + 1]) expect(parseApiKey(text.slice(0, i) + text[i + 1] + text[i] + text.slice(i + 2))).toBeNull()
    }
    expect(tried).toBe(104 * 61)
  })

  it('refuses wrong prefixes, lengths and characters', async () => {
    const { text } = newApiKey(await userKey('cosyvoice-edge', 'carol'))
    for (const bad of [
      '',
      'cve_',
      text.slice(0, -1),
      `${text}0`,
      text.replace('cve_', 'CVE_'),
      text.replace('cve_', 'cvf_'),
      `${text.slice(0, 50)}-${text.slice(51)}`,
      `${text.slice(0, 50)}_${text.slice(51)}`,
    ])
      expect(parseApiKey(bad)).toBeNull()
    expect(() => newApiKey('not a user key')).toThrow(TypeError)
  })
})

describe('codecs under the key', () => {
  it('CRC-32 is the IEEE one', () => {
    expect(crc32('123456789')).toBe(0xcbf43926)
    expect(crc32('')).toBe(0)
  })

  it('base62 has one spelling per byte string: fixed length, no overflow, no foreign characters', () => {
    for (const bytes of [new Uint8Array(32), new Uint8Array(32).fill(255), crypto.getRandomValues(new Uint8Array(32)), new Uint8Array([0, 0, 1])]) {
      const text = toBase62(bytes)
      expect(text).toHaveLength(bytes.length === 32 ? 43 : 5)
      expect(fromBase62(text, bytes.length)).toEqual(bytes)
    }
    expect(fromBase62('z'.repeat(43), 32)).toBeNull() // 62^43 - 1 > 2^256 - 1
    expect(fromBase62('0'.repeat(42), 32)).toBeNull()
    expect(fromBase62(`${'0'.repeat(42)}-`, 32)).toBeNull()
    expect(randomBase62(100)).toMatch(/^[0-9A-Za-z]{100}$/)
  })
})
