// Edge proof, v1: how the dev origin checks that a request really came from the edge Worker.
//
//   X-Request-ID, X-User-ID, X-User-Role   forwarded identity (all required, signed as sent)
//   X-Edge-Timestamp                       unix seconds, integer
//   X-Edge-Signature                       v1=<lowercase hex HMAC-SHA256>
//
//   message = "v1\n{timestamp}\n{METHOD}\n{pathname}\n{requestId}\n{userId}\n{role}"
//   key     = the shared secret, UTF-8
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_FORMAT = /^v1=[0-9a-f]{64}$/;
const TIMESTAMP_FORMAT = /^\d{1,12}$/;

export function edgeProofMessage({ timestamp, method, path, requestId, userId, role }) {
  return ['v1', timestamp, method.toUpperCase(), path, requestId, userId, role].join('\n');
}

export function signEdgeProof({ secret, timestamp, method, path, requestId, userId, role }) {
  const message = edgeProofMessage({ timestamp, method, path, requestId, userId, role });
  return `v1=${createHmac('sha256', secret).update(message, 'utf8').digest('hex')}`;
}

/**
 * @param headers  a Node `req.headers` object (lowercase keys) or a WHATWG Headers
 * @param now      unix seconds
 * @param seen     Map requestId -> unix second until which the id counts as used; mutated
 * @returns {{ok: true} | {ok: false, reason: 'required'|'invalid'|'expired'|'replayed'}}
 */
export function verifyEdgeProof({ secret, method, path, headers, now = Math.floor(Date.now() / 1000), seen, windowSeconds = 60 }) {
  pruneSeen(seen, now);
  const proof = readProofHeaders(headers);
  if (Object.values(proof).some((value) => value === undefined)) return refuse('required');
  if (!TIMESTAMP_FORMAT.test(proof.timestamp) || !SIGNATURE_FORMAT.test(proof.signature)) {
    return refuse('invalid');
  }

  const expected = signEdgeProof({ secret, method, path, ...proof });
  if (!timingSafeEqual(Buffer.from(proof.signature), Buffer.from(expected))) return refuse('invalid');

  const timestamp = Number(proof.timestamp);
  if (Math.abs(now - timestamp) > windowSeconds) return refuse('expired');

  if (seen.has(proof.requestId)) return refuse('replayed');
  // A proof stays acceptable until timestamp + window, so its id must be remembered that long.
  seen.set(proof.requestId, timestamp + windowSeconds);
  return { ok: true };
}

function readProofHeaders(headers) {
  const get = typeof headers.get === 'function' ? (name) => headers.get(name) ?? undefined : (name) => headers[name];
  return {
    requestId: get('x-request-id'),
    userId: get('x-user-id'),
    role: get('x-user-role'),
    timestamp: get('x-edge-timestamp'),
    signature: get('x-edge-signature'),
  };
}

function pruneSeen(seen, now) {
  for (const [requestId, until] of seen) {
    if (until < now) seen.delete(requestId);
  }
}

function refuse(reason) {
  return { ok: false, reason };
}
