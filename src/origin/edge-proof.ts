import { toHex } from '../codecs/hex'

/**
 * Proof that a call to an origin comes from the edge: an HMAC-SHA256, keyed with ORIGIN_SECRET, over
 * a timestamp, the method, the path, the request id and the user. The origin refuses a timestamp
 * outside its window and a request id it has already seen, so a captured request cannot be replayed
 * later or against another endpoint. The check on the origin side is `dev/origin-proof.mjs` (and the
 * Python version for operators in docs/ORIGIN-PROOF.md).
 */
const PROOF_VERSION = 'v1'

export interface ProofInput {
  method: string
  path: string
  requestId: string
  userId: string
  role: string
  timestamp: number
}

const keys = new Map<string, Promise<CryptoKey>>()

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret)
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    keys.set(secret, key)
  }
  return key
}

function proofMessage(p: ProofInput): string {
  return [PROOF_VERSION, p.timestamp, p.method.toUpperCase(), p.path, p.requestId, p.userId, p.role].join('\n')
}

/** The headers an origin call carries: who it is for, and the proof. */
export async function edgeProofHeaders(secret: string, p: ProofInput): Promise<Record<string, string>> {
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), new TextEncoder().encode(proofMessage(p))))
  return {
    'X-Request-ID': p.requestId,
    'X-User-ID': p.userId,
    'X-User-Role': p.role,
    'X-Edge-Timestamp': String(p.timestamp),
    'X-Edge-Signature': `${PROOF_VERSION}=${toHex(mac)}`,
  }
}
