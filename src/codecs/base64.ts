/** Unpadded base64url (RFC 4648 §5): ids, tokens, signatures, key hashes. */
export function base64url(bytes: Uint8Array): string {
  return base64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * Decodes unpadded base64url, or null. Only the canonical spelling is accepted: the last character
 * of a base64 string carries unused low bits, and without this check two different link texts
 * would decode to the same bytes (a "flipped" character that still verifies).
 */
export function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0))
  return base64url(bytes) === text ? bytes : null
}

/** Padded standard base64 (RFC 4648 §4), as CSP hashes are written. */
export function base64(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}

/** SHA-256 of a UTF-8 string, base64url without padding (43 characters). */
export async function sha256Base64url(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))))
}
