import { base64url } from '../auth/user-key'

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

export { base64url }
