import { ApiError } from '../http/api-error'
import { base64url, fromBase64url } from '../codecs/base64'
import type { LinkConfig, LinkKeys } from './link-config'

/** What a signed download link grants: one user's one audio object, until `expiresAt`. */
export interface LinkGrant {
  userKey: string
  audioId: string
  /** Seconds since the epoch. */
  expiresAt: number
}

/**
 * `<sealed owner>.<audioId>.<expires>.<signature>`.
 *
 * The owner is sealed, not written out: the user key is an unsalted hash of issuer and `sub`, so a
 * holder could test a guess ("is this alice@corp?") offline. The download must read
 * `users/<userKey>/…` in R2, so the link has to give the key back to us; a Durable Object id (as
 * share ids use) or an HMAC of the key cannot be turned back into it without a stored mapping and
 * a lookup per download. So the key travels encrypted: AES-256-GCM under a key derived from
 * LINK_SECRET (link-config.ts), with a random 96-bit IV. A holder learns nothing about the owner,
 * and two links of one owner look unrelated.
 *
 * Encrypt, then MAC: the HMAC covers every field, the sealed owner included, under a purpose
 * label, so a client cannot swap the object, the owner or the expiry, and a MAC made with
 * LINK_SECRET for anything else can never pass for a link. The signature is checked first; the
 * owner is then opened with the keys of the secret that signed it, so a link made before a
 * rotation still opens while LINK_SECRET_PREVIOUS holds the old secret. Deleting the object kills
 * the link: audio ids are never reused, and the route looks the object up (404) after the checks.
 */
const TOKEN = /^([A-Za-z0-9_-]{80})\.([0-9a-z]{8}[0-9a-f]{24})\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$/
const PURPOSE = 'cosyvoice-edge download link v2'
/** GCM's standard nonce size; random per link (NIST SP 800-38D §8.2.2). */
const IV_BYTES = 12

export async function signLink(grant: LinkGrant, config: LinkConfig): Promise<string> {
  const owner = await seal(grant.userKey, config.current.seal)
  const mac = await crypto.subtle.sign('HMAC', config.current.mac, message(owner, grant))
  return `${owner}.${grant.audioId}.${grant.expiresAt}.${base64url(new Uint8Array(mac))}`
}

/**
 * Checks a link token: 403 `invalid_link` for anything not signed by the current or previous
 * secret, 403 `link_expired` for a genuine link past its time. The signature is checked with
 * `crypto.subtle.verify`, which compares in constant time.
 */
export async function verifyLink(token: string, config: LinkConfig, now = Date.now()): Promise<LinkGrant> {
  const m = TOKEN.exec(token)
  const mac = m ? fromBase64url(m[4]!) : null
  if (!m || !mac || !fromBase64url(m[1]!)) throw invalidLink()
  const owner = m[1]!
  const fields = { audioId: m[2]!, expiresAt: Number(m[3]) }
  const data = message(owner, fields)
  const signedBy = (keys: LinkKeys | null) => (keys ? crypto.subtle.verify('HMAC', keys.mac, mac, data) : false)
  const keys = (await signedBy(config.current)) ? config.current : (await signedBy(config.previous)) ? config.previous : null
  if (!keys) throw invalidLink()
  if (fields.expiresAt * 1000 <= now) throw new ApiError(403, 'link_expired', 'this download link has expired: ask its owner for a new one')
  // Signed by us, so it opens; if it did not, that is our bug: a 500, not a client's invalid_link.
  return { userKey: await open(owner, keys.seal), ...fields }
}

async function seal(userKey: string, key: CryptoKey): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, fromBase64url(userKey)!))
  const out = new Uint8Array(IV_BYTES + sealed.length)
  out.set(iv)
  out.set(sealed, IV_BYTES)
  return base64url(out)
}

async function open(owner: string, key: CryptoKey): Promise<string> {
  const bytes = fromBase64url(owner)!
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES) }, key, bytes.subarray(IV_BYTES))
  return base64url(new Uint8Array(plain))
}

function message(owner: string, g: Omit<LinkGrant, 'userKey'>): Uint8Array {
  return new TextEncoder().encode(`${PURPOSE}\n${owner}\n${g.audioId}\n${g.expiresAt}`)
}

const invalidLink = () => new ApiError(403, 'invalid_link', 'this download link is not valid')
