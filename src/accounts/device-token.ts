import { base64url } from '../codecs/base64'
import { randomPart } from '../tokens/token-ids'

/**
 * Trusted-device tokens (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a client
 * that has logged in as a user before holds one, and its guesses for that user are counted apart
 * from everyone else's (login-throttle.ts), so strangers' failures cannot lock it out.
 *
 * `<device id>.<expiry, seconds>.<HMAC-SHA256(JWT_SECRET, "device:" user key ":" id ":" expiry)>`.
 * Bound to one user and signed, so it needs no storage; worthless without the password (it only
 * buys its own small allowance of guesses). Browsers keep it in the HttpOnly `__Host-device`
 * cookie, other clients get it as `device_token` and send it back with their next login. Every
 * successful login hands out a fresh one.
 */
const DEVICE_TOKEN = /^([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/

/** How long a device stays trusted without logging in again: 180 days. */
export const DEVICE_TOKEN_SECONDS = 180 * 86_400

export async function issueDeviceToken(userKey: string, key: CryptoKey, now = Date.now()): Promise<string> {
  const id = randomPart(16)
  const expires = Math.floor(now / 1000) + DEVICE_TOKEN_SECONDS
  return `${id}.${expires}.${await mac(userKey, id, expires, key)}`
}

/** The device id of a token this user was given and that has not expired; undefined for anything else. */
export async function trustedDeviceOf(token: string | undefined, userKey: string, key: CryptoKey, now = Date.now()): Promise<string | undefined> {
  const match = token === undefined ? null : DEVICE_TOKEN.exec(token)
  if (!match) return undefined
  const [, id, expiresText, sent] = match as unknown as [string, string, string, string]
  const expires = Number(expiresText)
  if (expires * 1000 <= now) return undefined
  const expected = new TextEncoder().encode(await mac(userKey, id, expires, key))
  const given = new TextEncoder().encode(sent)
  return crypto.subtle.timingSafeEqual(given, expected) ? id : undefined
}

async function mac(userKey: string, id: string, expires: number, key: CryptoKey): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`device:${userKey}:${id}:${expires}`))))
}
