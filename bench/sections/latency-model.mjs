// 2. Production latency, modelled. Locally a Durable Object answers in well under a millisecond; on
// Cloudflare a user's object lives where that user first appeared and the pool's where it was
// created, maybe another continent. Here every call to an object waits a configured round trip
// (bench/workers/latency-model.ts), in the edge of this commit ("after") and in the same edge over
// the src/ of an older commit ("before": admission, then the GPU slot, in series), both taking
// turns with the passthrough floor. The origin itself is not delayed: the Worker's round trip to
// the GPU is in the floor and the edge alike, so it cancels out of "edge − floor".
import { probeInterleaved, ratio, round, signed } from '../lib/measure.mjs'
import { edgeRequest, originRequest, parseServerTiming } from '../lib/synthesis.mjs'

export const SCENARIOS = [
  { id: 'zero', label: 'no delay: the model wrapper alone (and the edge without it)', users: 0, pool: 0 },
  { id: 'near', label: 'same location: 1 ms to each object', users: 1, pool: 1 },
  { id: 'region', label: 'a neighbouring region: 30 ms to each object', users: 30, pool: 30 },
  { id: 'far', label: 'the far model: 150 ms to each object', users: 150, pool: 150, target: true },
  { id: 'hinted', label: "the user's object here (1 ms), the pool next to GPUs 150 ms away (ORIGIN_POOL_LOCATION)", users: 1, pool: 150, target: true },
  { id: 'unhinted', label: "the user's object here (1 ms), the pool where its first caller was, another continent (250 ms)", users: 1, pool: 250 },
]

async function setModel(url, model) {
  const res = await fetch(`${url}/__bench/model`, { method: 'POST', body: JSON.stringify(model) })
  if (!res.ok) throw new Error(`${url}/__bench/model answered ${res.status}`)
  await res.arrayBuffer()
}

export async function latencyModel(ctx) {
  const { urls, secrets, tokens, settings, before } = ctx
  const n = settings['sequential samples per latency row (modelled)']
  const rows = []
  const raw = {}
  const only = process.env.BENCH_SCENARIOS?.split(',')
  for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.id))) {
    const model = { users: scenario.users, pool: scenario.pool }
    await Promise.all([setModel(urls['edge-model'], model), setModel(urls['edge-before'], model)])
    const targets = {
      passthrough: { url: `${urls.passthrough}/inference_sft`, request: () => originRequest(secrets.ORIGIN_SECRET) },
      before: { url: `${urls['edge-before']}/v1/tts`, request: edgeRequest(tokens.admin) },
      after: { url: `${urls['edge-model']}/v1/tts`, request: edgeRequest(tokens.admin) },
      ...(scenario.id === 'zero' ? { edge: { url: `${urls.edge}/v1/tts`, request: edgeRequest(tokens.admin) } } : {}),
    }
    const probed = await probeInterleaved(targets, { n: scenario.id === 'zero' ? n * 3 : n, warmup: 3 })
    for (const [name, p] of Object.entries(probed)) if (p.statuses[200] !== p.n) throw new Error(`${scenario.id}/${name}: statuses ${JSON.stringify(p.statuses)}`)
    const { passthrough, before: old, after, edge } = probed
    const rtt = Math.max(scenario.users, scenario.pool)
    const over = (r, field) => round(r[field].p50 - passthrough[field].p50, 2)
    const stages = meanStages(after.samples)
    rows.push({
      id: `model.${scenario.id}.first_byte`,
      label: `First byte, ${scenario.label}`,
      value: `before ${old.firstByte.p50} ms, after ${after.firstByte.p50} ms p50 (p99 ${old.firstByte.p99} / ${after.firstByte.p99})${edge ? `; the edge without the wrapper ${edge.firstByte.p50} ms` : ''}`,
      floor: `passthrough: ${passthrough.firstByte.p50} ms p50`,
      ratio: ratio(after.firstByte.p50, passthrough.firstByte.p50),
      delta: `after ${signed(over(after, 'firstByte'))} ms, before ${signed(over(old, 'firstByte'))} ms (modelled: ${scenario.users} ms to the user's object, ${scenario.pool} ms to the pool); after's stages: ${Object.entries(
        stages,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      target: scenario.target ? `≤ floor + one round trip (${rtt} ms) p50` : null,
      met: scenario.target ? over(after, 'firstByte') <= rtt : null,
    })
    rows.push({
      id: `model.${scenario.id}.whole`,
      label: `Whole short synthesis, ${scenario.label}`,
      value: `before ${old.total.p50} ms, after ${after.total.p50} ms p50`,
      floor: `passthrough: ${passthrough.total.p50} ms p50`,
      ratio: ratio(after.total.p50, passthrough.total.p50),
      delta: `after ${signed(over(after, 'total'))} ms, before ${signed(over(old, 'total'))} ms`,
      target: null,
      met: null,
    })
    raw[scenario.id] = { model, passthrough: summaryOf(passthrough), before: summaryOf(old), after: summaryOf(after), ...(edge ? { edge: summaryOf(edge) } : {}), stages }
  }
  await Promise.all([setModel(urls['edge-model'], { users: 0, pool: 0 }), setModel(urls['edge-before'], { users: 0, pool: 0 })])
  return { rows, raw: { before: { commit: before.commit, subject: before.subject }, scenarios: raw } }
}

function meanStages(samples) {
  const totals = {}
  for (const s of samples) for (const [k, v] of Object.entries(parseServerTiming(s.headers['server-timing']))) totals[k] = (totals[k] ?? 0) + v
  return Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, round(v / samples.length, 1)]))
}

const summaryOf = ({ samples, ...rest }) => rest
