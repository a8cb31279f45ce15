// How the bench measures: autocannon for load (requests/s, its p50/p99 at 1 ms resolution), and a
// sequential probe over one keep-alive connection for latency and time to first byte at microsecond
// resolution (the targets are a few milliseconds, below what autocannon's histogram can tell apart).
import autocannon from 'autocannon'
import http from 'node:http'

/**
 * Runs autocannon and returns the figures the report uses.
 * @param {{ url: string, method?: string, headers?: Record<string, string>, body?: string, connections?: number, duration?: number, amount?: number,
 *   requests?: object[], expectStatus?: number[] }} options
 */
export async function load({ url, method = 'GET', headers = {}, body, connections = 8, duration = 5, amount, requests, expectStatus }) {
  const options = { url, method, headers, body, connections, ...(amount ? { amount } : { duration }), requests }
  const result = await autocannon(options)
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]))
  const seconds = result.duration
  const total = Object.values(statusCodes).reduce((a, b) => a + b, 0)
  const expected = expectStatus === undefined ? total : expectStatus.reduce((n, code) => n + (statusCodes[code] ?? 0), 0)
  return {
    connections,
    seconds: round(seconds, 2),
    requests: total,
    rps: round(total / seconds, 1),
    p50: result.latency.p50,
    p99: result.latency.p99,
    statusCodes,
    unexpected: total - expected,
    errors: result.errors,
    timeouts: result.timeouts,
  }
}

const sharedAgent = new http.Agent({ keepAlive: true, maxSockets: 1 })

/**
 * What one request measured: milliseconds to the response head, first body byte and end.
 * @typedef {{ status: number | undefined, headers: http.IncomingHttpHeaders, head: number, firstByte: number, total: number, bytes: number }} Timed
 */

/**
 * One request; resolves with milliseconds to the response head, first body byte and end.
 * @param {string} url
 * @param {{ method?: string, headers?: Record<string, string>, body?: string }} request
 * @param {http.Agent} [agent]
 * @returns {Promise<Timed>}
 */
function timedRequest(url, { method = 'GET', headers = {}, body }, agent = sharedAgent) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const ms = () => Number(process.hrtime.bigint() - start) / 1e6
    const req = http.request(url, { method, headers: { ...headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) }, agent }, (res) => {
      const head = ms()
      let firstByte
      let bytes = 0
      res.on('data', (chunk) => {
        firstByte ??= ms()
        bytes += chunk.length
      })
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, head, firstByte: firstByte ?? head, total: ms(), bytes }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * `n` requests one after the other (after `warmup` unmeasured ones). `request(i)` returns the
 * request options, so each can carry its own headers (the origin refuses a replayed proof).
 */
export async function probe(url, request, { n = 200, warmup = 20 } = {}) {
  const samples = []
  const statuses = {}
  for (let i = 0; i < warmup + n; i++) {
    const r = await timedRequest(url, typeof request === 'function' ? request(i) : request)
    if (i < warmup) continue
    statuses[r.status] = (statuses[r.status] ?? 0) + 1
    samples.push(r)
  }
  const pick = (field) => summary(samples.map((s) => s[field]))
  return { n, statuses, firstByte: pick('firstByte'), total: pick('total'), bytes: samples[0]?.bytes }
}

export { timedRequest }

/**
 * Several targets measured in turns, one request each per round, each over its own keep-alive
 * connection: whatever else the machine does meanwhile falls on all of them alike, which matters
 * on a shared machine far more than the number of samples. `targets` maps a name to
 * `{ url, request(i) }`; returns, per name, what `probe` returns plus the response headers of
 * every sample (`samples`).
 */
export async function probeInterleaved(targets, { n = 200, warmup = 20 } = {}) {
  const names = Object.keys(targets)
  const agents = Object.fromEntries(names.map((name) => [name, new http.Agent({ keepAlive: true, maxSockets: 1 })]))
  /** @type {Record<string, Timed[]>} */
  const samples = Object.fromEntries(names.map((name) => [name, []]))
  for (let i = 0; i < warmup + n; i++) {
    for (const name of names) {
      const { url, request } = targets[name]
      const r = await timedRequest(url, typeof request === 'function' ? request(i) : request, agents[name])
      if (i >= warmup) samples[name].push(r)
    }
  }
  for (const agent of Object.values(agents)) agent.destroy()
  return Object.fromEntries(
    names.map((name) => {
      const list = samples[name]
      const statuses = {}
      for (const s of list) statuses[s.status] = (statuses[s.status] ?? 0) + 1
      const pick = (field) => summary(list.map((s) => s[field]))
      return [name, { n, statuses, firstByte: pick('firstByte'), total: pick('total'), bytes: list[0]?.bytes, samples: list }]
    }),
  )
}

export function summary(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
  return { p50: round(at(50), 3), p99: round(at(99), 3), mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length, 3) }
}

export const median = (values) => summary(values).p50

export function round(x, digits = 2) {
  if (x === undefined || x === null || !Number.isFinite(x)) return x
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export const ratio = (value, floor) => (floor > 0 && Number.isFinite(value) ? round(value / floor, 2) : null)

/** A difference with its sign: "+1.2", "-0.4". */
export const signed = (x, digits = 2) => `${x >= 0 ? '+' : ''}${round(x, digits)}`
