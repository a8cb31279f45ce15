// 1. Edge overhead and 4a. time to first byte: the same short synthesis direct to the origin (the
// floor), through a Worker that only verifies the token, and through the edge with everything on.
import { signEdgeProof } from '../../dev/origin-proof.mjs'
import { load, probe, ratio, round } from '../lib/measure.mjs'

const TEXT = 'Hello.'
const SPEAKER = '英文女'
const BOUNDARY = 'bench-boundary-7c2f'

/** The multipart body the edge itself sends to /inference_sft for this synthesis (CosyVoice3 marker included). */
const directBody = [
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="tts_text"\r\n\r\nYou are a helpful assistant.<|endofprompt|>${TEXT}\r\n`,
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="spk_id"\r\n\r\n${SPEAKER}\r\n`,
  `--${BOUNDARY}--\r\n`,
].join('')

/** Every direct call needs a fresh proof: the origin refuses a request id it has seen. */
function proofHeaders(secret) {
  const requestId = crypto.randomUUID()
  const fields = { timestamp: String(Math.floor(Date.now() / 1000)), method: 'POST', path: '/inference_sft', requestId, userId: 'bench-direct', role: 'admin' }
  return {
    'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    'x-request-id': requestId,
    'x-user-id': fields.userId,
    'x-user-role': fields.role,
    'x-edge-timestamp': fields.timestamp,
    'x-edge-signature': signEdgeProof({ secret, ...fields }),
  }
}

export async function edgeOverhead(ctx, { probeN, seconds, connections }) {
  const { origin, edge, micro, secrets, tokens } = ctx
  const json = JSON.stringify({ text: TEXT, mode: 'sft', speaker: SPEAKER })
  const authJson = (token) => ({ method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: json })
  const paths = {
    direct: {
      url: `${origin.url}/inference_sft`,
      request: () => ({ method: 'POST', headers: proofHeaders(secrets.ORIGIN_SECRET), body: directBody }),
      load: { method: 'POST', body: directBody, requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, headers: proofHeaders(secrets.ORIGIN_SECRET), body: directBody }) }] },
    },
    authOnly: { url: `${micro.url}/proxy-tts`, request: authJson(tokens.admin), load: authJson(tokens.admin) },
    full: { url: `${edge.url}/v1/tts`, request: authJson(tokens.admin), load: authJson(tokens.admin) },
  }
  const results = {}
  for (const [name, path] of Object.entries(paths)) {
    const probed = await probe(path.url, path.request, { n: probeN })
    if (!probed.statuses[200] || Object.keys(probed.statuses).length > 1) throw new Error(`${name}: unexpected statuses ${JSON.stringify(probed.statuses)}`)
    const loaded = await load({ url: path.url, connections, duration: seconds, expectStatus: [200], ...path.load })
    results[name] = { probe: probed, load: loaded }
  }

  const { direct, authOnly, full } = results
  const added = (r, field, p) => round(r.probe[field][p] - direct.probe[field][p], 2)
  const latencyRow = (id, label, r, target) => ({
    id,
    label,
    value: `p50 ${r.probe.total.p50} ms, p99 ${r.probe.total.p99} ms; ${r.load.rps} req/s`,
    floor: `p50 ${direct.probe.total.p50} ms, p99 ${direct.probe.total.p99} ms; ${direct.load.rps} req/s`,
    delta: `+${added(r, 'total', 'p50')} ms p50 (${ratio(r.probe.total.p50, direct.probe.total.p50)}x), +${added(r, 'total', 'p99')} ms p99; req/s ${ratio(r.load.rps, direct.load.rps)}x`,
    target: target ? '< +2 ms p50, < +10 ms p99' : null,
    met: target ? added(r, 'total', 'p50') < 2 && added(r, 'total', 'p99') < 10 : null,
  })
  const rows = [
    latencyRow('overhead.auth_only', 'Synthesis, Worker with auth only (jose verify + origin call)', authOnly, false),
    latencyRow('overhead.full', 'Synthesis, edge with everything on (auth, limits DO, origin call, R2 store, audit)', full, true),
  ]
  const ttfb = {
    id: 'streaming.ttfb',
    label: 'Time to first byte, edge (everything on) vs direct',
    value: `p50 ${full.probe.firstByte.p50} ms, p99 ${full.probe.firstByte.p99} ms`,
    floor: `p50 ${direct.probe.firstByte.p50} ms, p99 ${direct.probe.firstByte.p99} ms`,
    delta: `+${added(full, 'firstByte', 'p50')} ms p50 (${ratio(full.probe.firstByte.p50, direct.probe.firstByte.p50)}x), +${added(full, 'firstByte', 'p99')} ms p99`,
    target: '< +5 ms',
    met: added(full, 'firstByte', 'p50') < 5,
  }
  return { rows, ttfb, raw: results, bytes: { direct: direct.probe.bytes, full: full.probe.bytes } }
}

/** The edge's cost without a synthesis: a route with no auth, and one that only verifies the token. */
export async function requestFloor(ctx, { probeN, seconds, connections }) {
  const { edge, tokens } = ctx
  const health = await probe(`${edge.url}/health`, { method: 'GET' }, { n: probeN })
  const me = await probe(`${edge.url}/auth/me`, { method: 'GET', headers: { authorization: `Bearer ${tokens.admin}` } }, { n: 5, warmup: 1 })
  const hasMe = me.statuses[200] === 5
  const rows = []
  const healthLoad = await load({ url: `${edge.url}/health`, connections, duration: seconds, expectStatus: [200] })
  rows.push({
    id: 'overhead.health',
    label: 'Edge request, no auth (GET /health): the workerd + Hono floor',
    value: `p50 ${health.total.p50} ms, p99 ${health.total.p99} ms; ${healthLoad.rps} req/s`,
    floor: null,
    delta: null,
    target: null,
    met: null,
  })
  if (!hasMe) {
    rows.push({ id: 'overhead.auth_me', label: 'Edge request, token verified only (GET /auth/me)', value: 'n/a (route missing)', floor: null, delta: null, target: null, met: null })
    return { rows, raw: { health, healthLoad } }
  }
  const meRequest = { method: 'GET', headers: { authorization: `Bearer ${tokens.admin}` } }
  const meProbe = await probe(`${edge.url}/auth/me`, meRequest, { n: probeN })
  const meLoad = await load({ url: `${edge.url}/auth/me`, connections, duration: seconds, expectStatus: [200], ...meRequest })
  rows.push({
    id: 'overhead.auth_me',
    label: 'Edge request, token verified only (GET /auth/me)',
    value: `p50 ${meProbe.total.p50} ms, p99 ${meProbe.total.p99} ms; ${meLoad.rps} req/s`,
    floor: `GET /health: p50 ${health.total.p50} ms; ${healthLoad.rps} req/s`,
    delta: `+${round(meProbe.total.p50 - health.total.p50, 2)} ms p50; req/s ${ratio(meLoad.rps, healthLoad.rps)}x`,
    target: null,
    met: null,
  })
  return { rows, raw: { health, healthLoad, meProbe, meLoad } }
}
