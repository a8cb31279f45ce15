import { base62Length, fromBase62, randomBase62, toBase62 } from '../codecs/base62'
import { base64url, fromBase64url, sha256Base64url } from '../codecs/base64'
import { crc32 } from '../codecs/crc32'

/**
 * The text of a personal API key, `cve_<id><owner><secret><checksum>`, all base62 after the prefix
 * (108 characters, selectable with one double-click, nothing to escape anywhere):
 *
 * - `cve_`: a fixed prefix, so people and secret scanners tell a leaked key at a glance (a JWT
 *   starts with `eyJ`, so the two never look alike);
 * - `id` (12 digits, ~71 random bits): names the key in lists, logs and the audit trail; public;
 * - `owner` (43 digits): the 32 bytes of the owner's user key (auth/user-key.ts), so the key routes
 *   itself to its owner's Durable Object with no directory lookup (as token ids do, token-ids.ts);
 *   a hash of (issuer, sub), revealing neither;
 * - `secret` (43 digits, ~256 random bits): what makes it a credential;
 * - `checksum` (6 digits): CRC-32 of everything before it, as GitHub's tokens carry one. A typo or
 *   a truncated paste fails it and is refused before any lookup; a scanner can check it offline.
 *   It is not a signature: forging one is easy, guessing a secret is not.
 *
 * Only the SHA-256 of the whole text is stored (a 256-bit random secret needs no slow hash).
 */
export const API_KEY_PREFIX = 'cve_'

const ID_DIGITS = 12
const OWNER_BYTES = 32
const SECRET_DIGITS = 43
const CHECKSUM_BYTES = 4
const OWNER_DIGITS = base62Length(OWNER_BYTES)
const CHECKSUM_DIGITS = base62Length(CHECKSUM_BYTES)
const SHAPE = new RegExp(`^${API_KEY_PREFIX}([0-9A-Za-z]{${ID_DIGITS}})([0-9A-Za-z]{${OWNER_DIGITS}})[0-9A-Za-z]{${SECRET_DIGITS}}([0-9A-Za-z]{${CHECKSUM_DIGITS}})$`)
const ID = new RegExp(`^[0-9A-Za-z]{${ID_DIGITS}}$`)

export interface ParsedApiKey {
  id: string
  /** The owner's user key: names their Durable Object and storage. */
  userKey: string
}

/** True for any bearer credential meant as an API key (it is then never tried as a JWT). */
export const looksLikeApiKey = (text: string) => text.startsWith(API_KEY_PREFIX)

/** A key id as it appears in a key and in `/v1/api-keys/<id>`. */
export const isApiKeyId = (id: string) => ID.test(id)

/** What lists show of a key: enough to tell keys apart, nothing that authenticates. */
export const apiKeyPrefix = (id: string) => `${API_KEY_PREFIX}${id}`

/** Checks shape and checksum, offline. Null for anything that cannot be a key the edge issued. */
export function parseApiKey(text: string): ParsedApiKey | null {
  const m = SHAPE.exec(text)
  if (!m) return null
  const checksum = fromBase62(m[3]!, CHECKSUM_BYTES)
  if (!checksum || new DataView(checksum.buffer).getUint32(0) !== crc32(text.slice(0, -CHECKSUM_DIGITS))) return null
  const owner = fromBase62(m[2]!, OWNER_BYTES)
  return owner ? { id: m[1]!, userKey: base64url(owner) } : null
}

/** A new key for the user with this key: its id and full text (shown to its owner once). */
export function newApiKey(userKey: string): { id: string; text: string } {
  const owner = fromBase64url(userKey)
  if (!owner || owner.length !== OWNER_BYTES) throw new TypeError('newApiKey: not a user key')
  const id = randomBase62(ID_DIGITS)
  const body = `${API_KEY_PREFIX}${id}${toBase62(owner)}${randomBase62(SECRET_DIGITS)}`
  const checksum = new Uint8Array(CHECKSUM_BYTES)
  new DataView(checksum.buffer).setUint32(0, crc32(body))
  return { id, text: body + toBase62(checksum) }
}

/** How a key is stored and cached: SHA-256 of its text, base64url. */
export const hashApiKey = sha256Base64url
