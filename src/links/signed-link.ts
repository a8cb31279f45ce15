import { ApiError } from '../http/api-error'
import { base64url, fromBase64url } from './base64url'
import type { LinkConfig } from './link-config'

/** What a signed download link grants: one user's one audio object, until `expiresAt`. */
export interface LinkGrant {
  userKey: string
  audioId: string
  /** Seconds since the epoch. */
  expiresAt: number
}

/**
 * `<userKey>.<audioId>.<expires>.<signature>`: readable fields, so there is nothing to parse but
 * the signature. The HMAC covers every field (a client cannot swap the object, the owner or the
 * expiry) under a purpose label, so a MAC made with LINK_SECRET for anything else can never pass
 * for a link. Deleting the object kills the link: audio ids are never reused, and the route looks
 * the object up (404) after the signature and expiry checks.
 */
const TOKEN = /^([A-Za-z0-9_-]{43})\.([0-9a-z]{8}[0-9a-f]{24})\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$/
const PURPOSE = 'cosyvoice-edge download link v1'

export async function signLink(grant: LinkGrant, config: LinkConfig): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', config.current, message(grant))
  return `${grant.userKey}.${grant.audioId}.${grant.expiresAt}.${base64url(new Uint8Array(mac))}`
}

/**
 * Checks a link token: 403 `invalid_link` for anything not signed by the current or previous
 * secret, 403 `link_expired` for a genuine link past its time. The signature is checked with
 * `crypto.subtle.verify`, which compares in constant time.
 */
export async function verifyLink(token: string, config: LinkConfig, now = Date.now()): Promise<LinkGrant> {
  const m = TOKEN.exec(token)
  const mac = m ? fromBase64url(m[4]!) : null
  if (!m || !mac) throw invalidLink()
  const grant: LinkGrant = { userKey: m[1]!, audioId: m[2]!, expiresAt: Number(m[3]) }
  const data = message(grant)
  let valid = await crypto.subtle.verify('HMAC', config.current, mac, data)
  if (!valid && config.previous) valid = await crypto.subtle.verify('HMAC', config.previous, mac, data)
  if (!valid) throw invalidLink()
  if (grant.expiresAt * 1000 <= now) throw new ApiError(403, 'link_expired', 'this download link has expired: ask its owner for a new one')
  return grant
}

function message(g: LinkGrant): Uint8Array {
  return new TextEncoder().encode(`${PURPOSE}\n${g.userKey}\n${g.audioId}\n${g.expiresAt}`)
}

const invalidLink = () => new ApiError(403, 'invalid_link', 'this download link is not valid')
