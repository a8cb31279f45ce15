import { randomBase62, toBase62 } from '../../src/codecs/base62'
import { fromBase64url } from '../../src/codecs/base64'
import { crc32 } from '../../src/codecs/crc32'

/**
 * Keys an attacker can make without the edge: the format is public (src/auth/api-key-format.ts),
 * so anyone can route a key to a user they know and give it a valid checksum. Only the secret
 * cannot be made up.
 */
export function forgeKey(ownerUserKey: string, parts: { id?: string; secret?: string } = {}): string {
  const owner = toBase62(fromBase64url(ownerUserKey)!)
  const body = `cve_${parts.id ?? randomBase62(12)}${owner}${parts.secret ?? randomBase62(43)}`
  const checksum = new Uint8Array(4)
  new DataView(checksum.buffer).setUint32(0, crc32(body))
  return body + toBase62(checksum)
}

/** The key with the character at `index` replaced by another base62 one: a typo. */
export function mangle(key: string, index: number): string {
  const other = key[index] === 'a' ? 'b' : 'a'
  return key.slice(0, index) + other + key.slice(index + 1)
}

/** The key with two different neighbouring characters of its secret swapped. */
export function swapNeighbours(key: string): string {
  for (let i = 59; i < 101; i++) if (key[i] !== key[i + 1]) return key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2)
  throw new Error('a secret of one repeated character')
}
