const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const DIGIT = new Map([...ALPHABET].map((ch, i) => [ch, BigInt(i)]))
const BASE = 62n

/** Base62 digits needed for `bytes` bytes: ceil(8·bytes / log2 62). */
export const base62Length = (bytes: number) => Math.ceil((bytes * 8) / Math.log2(62))

/**
 * Bytes as base62 (0-9, A-Z, a-z), left-padded to the fixed length their count needs. Base62 has no
 * punctuation, so a double-click selects the whole string and nothing in it needs escaping in a
 * URL, a shell or a config file (why GitHub's tokens use it).
 */
export function toBase62(bytes: Uint8Array): string {
  let n = 0n
  for (const b of bytes) n = (n << 8n) | BigInt(b)
  let text = ''
  while (n > 0n) {
    text = ALPHABET[Number(n % BASE)]! + text
    n /= BASE
  }
  return text.padStart(base62Length(bytes.length), '0')
}

/**
 * The `length` bytes a fixed-length base62 string holds, or null when it is not exactly
 * base62Length(length) base62 digits or its value does not fit in `length` bytes (so every byte
 * string has exactly one spelling).
 */
export function fromBase62(text: string, length: number): Uint8Array | null {
  if (text.length !== base62Length(length)) return null
  let n = 0n
  for (const ch of text) {
    const digit = DIGIT.get(ch)
    if (digit === undefined) return null
    n = n * BASE + digit
  }
  if (n >> BigInt(length * 8) !== 0n) return null
  const bytes = new Uint8Array(length)
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return bytes
}

/** `count` random base62 digits (about 5.95 bits each), without modulo bias. */
export function randomBase62(count: number): string {
  let text = ''
  while (text.length < count) {
    for (const b of crypto.getRandomValues(new Uint8Array(count))) {
      // 248 = 4 × 62: bytes at or above it would favour the first digits.
      if (b < 248 && text.length < count) text += ALPHABET[b % 62]
    }
  }
  return text
}
