// 1. The same short synthesis straight to the origin, through the bare passthrough Worker (the
// floor: same runtime, same origin, no logic) and through the edge with everything on, the three
// taking turns request by request. Targets are against the passthrough floor of the same run.
// The edge's own Server-Timing header and synthesis_end log line say where its time goes.
import { load, probeInterleaved, ratio, round, signed, summary } from '../lib/measure.mjs'
import { edgeRequest, originRequest, parseServerTiming, synthesisEnds } from '../lib/synthesis.mjs'

const FIRST_BYTE_BUDGET_MS = 2
const WHOLE_BUDGET_MS = 5

export async function firstByte(ctx) {
  const { urls, secrets, tokens, settings, origin, runtime } = ctx
  const n = settings['sequential samples per latency row (local)']
  const logStart = runtime.logCount()
  const probed = await probeInterleaved(
    {
      direct: { url: `${origin.url}/inference_sft`, request: () => originRequest(secrets.ORIGIN_SECRET) },
      passthrough: { url: `${urls.passthrough}/inference_sft`, request: () => originRequest(secrets.ORIGIN_SECRET) },
      authOnly: { url: `${urls.micro}/proxy-tts`, request: edgeRequest(tokens.admin) },
      edge: { url: `${urls.edge}/v1/tts`, request: edgeRequest(tokens.admin) },
    },
    { n },
  )
  for (const [name, p] of Object.entries(probed)) {
    if (p.statuses[200] !== n) throw new Error(`${name}: unexpected statuses ${JSON.stringify(p.statuses)}`)
  }
  const { direct, passthrough, authOnly, edge } = probed

  // Requests per second under load (autocannon, several connections), each path alone.
  const seconds = settings['load seconds per throughput row']
  const connections = settings['autocannon connections']
  const rps = {}
  /** @type {[string, string, () => { method: string, headers: Record<string, string>, body: string }][]} */
  const paths = [
    ['passthrough', `${urls.passthrough}/inference_sft`, () => originRequest(secrets.ORIGIN_SECRET)],
    ['edge', `${urls.edge}/v1/tts`, () => edgeRequest(tokens.admin)],
  ]
  for (const [name, url, request] of paths) {
    const first = request()
    rps[name] = await load({ url, connections, duration: seconds, expectStatus: [200], ...first, requests: [{ setupRequest: (req) => ({ ...req, ...request() }) }] })
  }

  const stages = stageBreakdown(edge.samples, synthesisEnds(runtime.logs(logStart)))
  const ms = (s, field) => `p50 ${s[field].p50} ms, p99 ${s[field].p99} ms`
  const over = (a, b, field, p = 'p50') => round(a[field][p] - b[field][p], 2)
  const rows = [
    {
      id: 'local.direct',
      label: 'Direct to the origin (no Worker): first byte; whole',
      value: `${ms(direct, 'firstByte')}; ${ms(direct, 'total')}`,
      floor: null,
      ratio: null,
      delta: null,
      target: null,
      met: null,
    },
    {
      id: 'local.passthrough',
      label: 'Bare passthrough Worker, same runtime and origin (the floor): first byte; whole',
      value: `${ms(passthrough, 'firstByte')}; ${ms(passthrough, 'total')}; ${rps.passthrough.rps} req/s`,
      floor: `direct: ${ms(direct, 'firstByte')}`,
      ratio: ratio(passthrough.firstByte.p50, direct.firstByte.p50),
      delta: `${signed(over(passthrough, direct, 'firstByte'))} ms first byte, ${signed(over(passthrough, direct, 'total'))} ms whole (the runtime's own cost)`,
      target: null,
      met: null,
    },
    {
      id: 'local.auth_only',
      label: "A Worker with the edge's token check and origin call only (no limits, no pool, no recording): first byte; whole",
      value: `${ms(authOnly, 'firstByte')}; ${ms(authOnly, 'total')}`,
      floor: `passthrough: ${ms(passthrough, 'firstByte')}`,
      ratio: ratio(authOnly.firstByte.p50, passthrough.firstByte.p50),
      delta: `${signed(over(authOnly, passthrough, 'firstByte'))} ms first byte, ${signed(over(authOnly, passthrough, 'total'))} ms whole: the origin call as the edge makes it (form, proof, first chunk read in JS) and the token check`,
      target: null,
      met: null,
    },
    {
      id: 'local.first_byte',
      label: 'Edge, everything on: time to first byte',
      value: ms(edge, 'firstByte'),
      floor: `passthrough: ${ms(passthrough, 'firstByte')}`,
      ratio: ratio(edge.firstByte.p50, passthrough.firstByte.p50),
      delta: `${signed(over(edge, passthrough, 'firstByte'))} ms p50, ${signed(over(edge, passthrough, 'firstByte', 'p99'))} ms p99`,
      target: `≤ floor + ${FIRST_BYTE_BUDGET_MS} ms p50`,
      met: over(edge, passthrough, 'firstByte') <= FIRST_BYTE_BUDGET_MS,
    },
    {
      id: 'local.whole',
      label: 'Edge, everything on: whole short synthesis (stream ends after the R2 commit and both settles)',
      value: `${ms(edge, 'total')}; ${rps.edge.rps} req/s`,
      floor: `passthrough: ${ms(passthrough, 'total')}; ${rps.passthrough.rps} req/s`,
      ratio: ratio(edge.total.p50, passthrough.total.p50),
      delta: `${signed(over(edge, passthrough, 'total'))} ms p50, ${signed(over(edge, passthrough, 'total', 'p99'))} ms p99; req/s ${ratio(rps.edge.rps, rps.passthrough.rps)}x`,
      target: `≤ floor + ${WHOLE_BUDGET_MS} ms p50`,
      met: over(edge, passthrough, 'total') <= WHOLE_BUDGET_MS,
    },
    {
      id: 'local.stages',
      label: "Where the edge's time goes: mean ms per stage (Server-Timing header before the first byte; synthesis_end log line after it)",
      value: Object.entries(stages.means)
        .map(([name, v]) => `${name} ${v}`)
        .join(', '),
      floor: null,
      ratio: null,
      delta: `${stages.matched} of ${edge.samples.length} requests matched to their log line; whole milliseconds (the runtime's clock moves only at I/O), averaged`,
      target: null,
      met: null,
    },
  ]
  return { rows, raw: { direct: strip(direct), passthrough: strip(passthrough), authOnly: strip(authOnly), edge: strip(edge), rps, stages } }
}

/** Mean of each stage over the samples: header stages from the response, end stages from the log. */
export function stageBreakdown(samples, ends) {
  const totals = {}
  const counts = {}
  let matched = 0
  for (const s of samples) {
    const stages = parseServerTiming(s.headers['server-timing'])
    const end = ends.get(s.headers['x-request-id'])
    if (end) {
      matched++
      for (const name of ['r2', 'settle', 'release']) if (end.timing_ms?.[name] !== undefined) stages[name] = end.timing_ms[name]
    }
    for (const [name, v] of Object.entries(stages)) {
      totals[name] = (totals[name] ?? 0) + v
      counts[name] = (counts[name] ?? 0) + 1
    }
  }
  const means = Object.fromEntries(Object.keys(totals).map((name) => [name, round(totals[name] / counts[name], 2)]))
  return {
    means,
    matched,
    p50: Object.fromEntries(Object.keys(totals).map((name) => [name, summary(samples.map((s) => parseServerTiming(s.headers['server-timing'])[name] ?? 0)).p50])),
  }
}

const strip = ({ samples, ...rest }) => rest
