// 4. A free user (10 syntheses a minute, one at a time) sends 1000 in a burst over 10 connections,
// through the edge of this commit and the "before" one, both at zero modelled delay: the latency
// model's wrapper counts every call that reaches a Durable Object, so "answered without a call" is
// counted, not inferred. While one of the user's syntheses runs the rest are refused for
// `concurrency`; once ten were admitted, for `rate_limited`.
import { load, ratio, round } from '../lib/measure.mjs'
import { edgeRequest } from '../lib/synthesis.mjs'

const LIMIT_PER_MINUTE = 10
const TARGET_SHARE = 0.99

async function json(url, init) {
  const res = await fetch(url, init)
  if (!res.ok) throw new Error(`${url} answered ${res.status}`)
  return res.json()
}

async function floodOnce(edgeUrl, token, { amount, connections }) {
  await json(`${edgeUrl}/__bench/counts`)
  const codes = {}
  const request = edgeRequest(token)
  const result = await load({
    url: `${edgeUrl}/v1/tts`,
    ...request,
    connections,
    amount,
    requests: [
      {
        method: 'POST',
        onResponse: (status, body) => {
          let code = String(status)
          if (status !== 200) {
            try {
              code = JSON.parse(body).error.code
            } catch {}
          }
          codes[code] = (codes[code] ?? 0) + 1
        },
      },
    ],
  })
  // Settles and audit writes finish just after the last response (waitUntil).
  await new Promise((r) => setTimeout(r, 500))
  const calls = await json(`${edgeUrl}/__bench/counts`)
  const usage = await json(`${edgeUrl}/v1/usage`, { headers: { authorization: `Bearer ${token}` } })
  const admitted = result.statusCodes[200] ?? 0
  const refused = result.statusCodes[429] ?? 0
  const decidedByObject = (calls['users.admit'] ?? 0) - admitted
  const poolForRefused = (calls['pool.acquireNow'] ?? 0) + (calls['pool.acquire'] ?? 0) - admitted
  return { result, codes, calls, usage: usage.syntheses_per_minute, admitted, refused, decidedByObject, poolForRefused, answeredHere: refused - decidedByObject }
}

export async function flood(ctx) {
  const { urls, tokens, settings } = ctx
  const amount = settings['flood requests']
  const connections = settings['flood connections']
  const runs = {}
  for (const [name, url] of [
    ['after', urls['edge-model']],
    ['before', urls['edge-before']],
  ]) {
    runs[name] = await floodOnce(url, await tokens.token(`bench-flood-${name}`, 'free'), { amount, connections })
  }
  const { after, before } = runs
  const overAdmitted = (r) => Math.max(r.admitted, r.usage.used) - LIMIT_PER_MINUTE
  const share = (r) => (r.refused ? r.answeredHere / r.refused : 1)
  const pct = (x) => `${round(100 * x, 2)}%`
  const codes = (r) =>
    Object.entries(r.codes)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')
  return {
    rows: [
      {
        id: 'flood.admission',
        label: `Flood: one free user, ${amount} requests (${amount / LIMIT_PER_MINUTE}x the ${LIMIT_PER_MINUTE}/min limit), ${connections} connections`,
        value: `${after.admitted} admitted (the object's count: ${after.usage.used}); ${codes(after)}; ${round(after.result.rps, 0)} answers/s`,
        floor: `limit ${LIMIT_PER_MINUTE}/min`,
        ratio: null,
        delta: `${Math.max(0, overAdmitted(after))} over-admitted (before: ${Math.max(0, overAdmitted(before))})`,
        target: 'zero over-admission',
        met: overAdmitted(after) <= 0,
      },
      {
        id: 'flood.answered_without_object',
        label: 'Flood: refusals answered without a Durable Object call (concurrency refusals included), counted at the bindings',
        value: `${after.answeredHere} of ${after.refused} (${pct(share(after))}); ${after.decidedByObject} decided by the user's object; the pool was asked ${after.poolForRefused} times for refused requests (a free slot each, never a queue place)`,
        floor: `before: ${before.answeredHere} of ${before.refused} (${pct(share(before))}); ${before.decidedByObject} decided by the object (${codes(before)})`,
        ratio: ratio(after.decidedByObject || 0.5, before.decidedByObject || 0.5),
        delta: `Durable Object calls in all: ${JSON.stringify(after.calls)} (before: ${JSON.stringify(before.calls)})`,
        target: `≥ ${TARGET_SHARE * 100}% without a call`,
        met: share(after) >= TARGET_SHARE,
      },
    ],
    raw: runs,
  }
}
