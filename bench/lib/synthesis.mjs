// The short synthesis every latency row makes, in the three shapes the bench sends it: straight to
// the origin (the multipart form the edge itself sends, with a fresh edge proof each time), to the
// passthrough Worker (the same request), and to the edge (JSON with a token).
import { signEdgeProof } from '../../dev/origin-proof.mjs'

export const SPEAKER = '英文女'
/**
 * "Hello." (0.6 s of audio), with CosyVoice3's prompt marker already in the text: the edge adds
 * nothing to it, so all three paths ask the origin for exactly the same form.
 */
export const TEXT = 'You are a helpful assistant.<|endofprompt|>Hello.'
const BOUNDARY = 'bench-boundary-7c2f'

const directBody = [
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="tts_text"\r\n\r\n${TEXT}\r\n`,
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="spk_id"\r\n\r\n${SPEAKER}\r\n`,
  `--${BOUNDARY}--\r\n`,
].join('')

/** A request straight to the origin's /inference_sft (or through a Worker that passes it on). */
export function originRequest(secret) {
  const requestId = crypto.randomUUID()
  const fields = { timestamp: String(Math.floor(Date.now() / 1000)), method: 'POST', path: '/inference_sft', requestId, userId: 'bench-direct', role: 'admin' }
  return {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'x-request-id': requestId,
      'x-user-id': fields.userId,
      'x-user-role': fields.role,
      'x-edge-timestamp': fields.timestamp,
      'x-edge-signature': signEdgeProof({ secret, ...fields }),
    },
    body: directBody,
  }
}

/** The same synthesis as a client asks the edge for it. */
export function edgeRequest(token, text = TEXT) {
  return {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text, mode: 'sft', speaker: SPEAKER }),
  }
}

/** `Server-Timing: a;dur=1, b;dur=2;desc="x"` → {a: 1, b: 2}. */
export function parseServerTiming(header) {
  const stages = {}
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().split(';')
    const dur = params.find((p) => p.trim().startsWith('dur='))
    if (name && dur) stages[name.trim()] = Number(dur.trim().slice(4))
  }
  return stages
}

/** The edge's `synthesis_end` log lines, by request id. */
export function synthesisEnds(lines) {
  const ends = new Map()
  for (const line of lines) {
    if (!line.includes('"synthesis_end"')) continue
    try {
      const entry = JSON.parse(line.slice(line.indexOf('{')))
      ends.set(entry.request_id, entry)
    } catch {}
  }
  return ends
}
