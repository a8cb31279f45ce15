import type { Env } from '../env'
import { base64url, fromBase64url } from '../codecs/base64'
import { toHex } from '../codecs/hex'

/**
 * A share id is `<owner object id>.<128 random bits>`, both base64url. Anonymous requests must
 * reach the owner's Durable Object (where the share is counted and can be revoked) without a
 * global index, so the id names that object: by its Durable Object id, not the user key, because
 * a DO id is a keyed hash only Cloudflare can compute: a recipient cannot confirm a guess of who
 * shared ("is it alice?"), though two shares of one owner do share a prefix. The random part is
 * what makes the id unguessable; the ledger in that object is the source of truth.
 */
const SHARE_ID = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/

export function newShareId(env: Env, userKey: string): string {
  const owner = hexToBytes(env.USERS.idFromName(userKey).toString())
  return `${base64url(owner)}.${base64url(crypto.getRandomValues(new Uint8Array(16)))}`
}

/** The Durable Object holding a share, or null when the id cannot be one of ours. */
export function shareOwner(env: Env, shareId: string) {
  const m = SHARE_ID.exec(shareId)
  const owner = m ? fromBase64url(m[1]!) : null
  if (!m || !owner || !fromBase64url(m[2]!)) return null
  let id: DurableObjectId
  try {
    // Rejects ids that this namespace did not make, so a forged prefix creates no object.
    id = env.USERS.idFromString(toHex(owner))
  } catch {
    return null
  }
  return env.USERS.get(id)
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16))
}
