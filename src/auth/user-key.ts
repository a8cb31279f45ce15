import { sha256Base64url } from '../codecs/base64'

/**
 * Maps (issuer, sub) to the id that names a user's R2 prefix and Durable Object.
 *
 * A hash rather than an escaped `sub`: whatever a `sub` contains (`/`, `..`, unicode, 300
 * characters) the key is 43 url-safe characters, so it can neither escape `users/<key>/` nor be a
 * prefix of another user's key. The issuer is part of the input so two identity providers that both
 * have a user "alice" never share data or quota.
 */
export function userKey(issuer: string, sub: string): Promise<string> {
  return sha256Base64url(`${issuer}\u0000${sub}`)
}
