import { base64url, sha256Base64url } from '../codecs/base64'

/**
 * Ids and secrets the edge hands out, structured as `<user key>.<random>` so that the id alone
 * routes to the owner's Durable Object (as workers-oauth-provider's `userId:grantId:secret`):
 * `POST /admin/revoke {jti}` and `POST /auth/refresh` need no global index. The user key is a hash
 * (auth/user-key.ts), so it reveals nothing; the random part carries the entropy.
 */
const ROUTABLE = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22,86})$/

export function randomPart(bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)))
}

/** A token id: 128 random bits after the owner's key. */
export const newJti = (userKey: string) => `${userKey}.${randomPart(16)}`

/** A refresh token: 256 random bits after the owner's key. Only its hash is stored. */
export const newRefreshToken = (userKey: string) => `${userKey}.${randomPart(32)}`

/** The owner's user key of a routable id, or undefined for any other string. */
export function ownerOf(id: string): string | undefined {
  return ROUTABLE.exec(id)?.[1]
}

/** SHA-256, base64url: how refresh tokens are stored. */
export const hashSecret = sha256Base64url
