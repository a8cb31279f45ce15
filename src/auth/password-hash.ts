import { base64url, fromBase64url } from '../codecs/base64'

/**
 * PBKDF2-SHA256 password hashes as stored in the account directory (and the legacy `AUTH_USERS`):
 * `pbkdf2-sha256$<iterations>$<salt, base64url>$<hash, base64url>`.
 *
 * workerd's WebCrypto refuses PBKDF2 above 100 000 iterations, so that is both the default written
 * here and by `scripts/user.mjs`, and the ceiling accepted; below 10 000 a hash is refused as too weak.
 */
export const PBKDF2_MAX_ITERATIONS = 100_000
const PBKDF2_MIN_ITERATIONS = 10_000
const HASH_BYTES = 32

export interface PasswordHash {
  iterations: number
  salt: Uint8Array
  hash: Uint8Array
}

/** Parses a stored hash; returns a reason string when it is not well-formed. */
export function parsePasswordHash(text: string): PasswordHash | string {
  const parts = text.split('$')
  if (parts.length !== 4 || parts[0] !== 'pbkdf2-sha256') return 'must look like pbkdf2-sha256$<iterations>$<salt>$<hash>'
  const iterations = Number(parts[1])
  if (!Number.isInteger(iterations) || iterations < PBKDF2_MIN_ITERATIONS || iterations > PBKDF2_MAX_ITERATIONS)
    return `iterations must be an integer from ${PBKDF2_MIN_ITERATIONS} to ${PBKDF2_MAX_ITERATIONS}`
  const salt = fromBase64url(parts[2]!)
  const hash = fromBase64url(parts[3]!)
  if (!salt || salt.length < 16) return 'the salt must be at least 16 bytes of base64url'
  if (!hash || hash.length !== HASH_BYTES) return `the hash must be ${HASH_BYTES} bytes of base64url`
  return { iterations, salt, hash }
}

/** True if `password` matches. The comparison is constant-time; the derivation always runs in full. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const derived = await derive(password, stored.salt, stored.iterations)
  return crypto.subtle.timingSafeEqual(derived, stored.hash)
}

/** A new hash of `password` with a random 16-byte salt, in the stored text form. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  return formatPasswordHash({ iterations: PBKDF2_MAX_ITERATIONS, salt, hash: await derive(password, salt, PBKDF2_MAX_ITERATIONS) })
}

/** The stored text form of a hash (the inverse of parsePasswordHash). */
export function formatPasswordHash(h: PasswordHash): string {
  return `pbkdf2-sha256$${h.iterations}$${base64url(h.salt)}$${base64url(h.hash)}`
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password.normalize('NFC')), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, HASH_BYTES * 8)
  return new Uint8Array(bits)
}
