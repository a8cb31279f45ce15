import { sha256Base64url } from '../codecs/base64'

/**
 * How a share is named wherever its id must not appear: operator logs and the owner's audit trail.
 * A share id is a bearer credential (anyone holding it downloads), so records carry
 * `share:` + the first 8 base64url characters of SHA-256(share id) instead: 48 bits, enough to
 * tell one user's shares apart, and with 128 random bits in the id it cannot be turned back into
 * one. `GET /v1/shares` shows each share's ref, so the owner can match audit entries to shares.
 */
export async function shareRef(shareId: string): Promise<string> {
  return `share:${(await sha256Base64url(shareId)).slice(0, 8)}`
}
