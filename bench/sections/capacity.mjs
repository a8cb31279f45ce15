// 5. What one object sustains. The capacity Worker (bench/workers/capacity.ts) sets an object up, then
// streams a line, makes the calls (several in flight, as many Workers would), and streams another
// line; the time between the two lines is the run. The caller runs in the same workerd (and on the
// same 2 cores) as the object, so each figure is a floor of what the object alone would do; the
// no-op object's row is the cost of a call itself, the part that is not the object's work. Each row
// runs against this commit's objects and the "before" commit's.
import http from 'node:http'
import { round, signed } from '../lib/measure.mjs'

/** The object's queue in the pool rows: requests waiting for a GPU, one user each. */
const WAITING = 1000
const ORIGIN_COUNTS = [1, 10, 100]

/** Runs one capacity request; resolves with the measured seconds and the Worker's result. */
function timedRun(url) {
  return new Promise((resolve, reject) => {
    let started
    let text = ''
    const req = http.get(url, (res) => {
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        text += chunk
        if (started === undefined && text.includes('start\n')) started = process.hrtime.bigint()
        const end = /\nend (.*)\n/.exec(text)
        if (end && started !== undefined && !text.includes('\u0000')) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9
          text += '\u0000'
          resolve({ seconds, result: JSON.parse(end[1]) })
        }
        const error = /error (.*)/s.exec(text)
        if (error) reject(new Error(`${url}: ${error[1]}`))
      })
      res.on('error', reject)
      res.on('end', () => {
        if (!text.includes('\u0000')) reject(new Error(`${url}: ended without a result: ${text}`))
      })
    })
    req.on('error', reject)
  })
}

/** Calls per second of `path` with `n` operations; a connection lost on a loaded machine is tried once more. */
async function runOnce(base, path, n) {
  const url = `${base}${path}${path.includes('?') ? '&' : '?'}n=${n}`
  const run = await timedRun(url).catch(() => timedRun(url))
  return { n, seconds: round(run.seconds, 3), perSecond: Math.round(run.result.calls / run.seconds), result: run.result }
}

/** A small run, then one sized to last about `seconds` (each run sets its object up afresh). */
async function callsPerSecond(base, path, { seconds, start = 50, max = 200_000 }) {
  const first = await runOnce(base, path, start)
  if (first.seconds >= seconds / 2 || start >= max) return first
  return runOnce(base, path, Math.min(max, Math.ceil(start * Math.min(50, seconds / Math.max(first.seconds, 0.001)))))
}

export async function capacity(ctx) {
  const seconds = ctx.settings['capacity seconds per row (about)']
  const builds = { after: ctx.urls.capacity, before: ctx.urls['capacity-before'] }
  /**
   * The same row for this commit's objects and the "before" commit's, with as many operations (at
   * most `beforeMax` for the before one: its queue rows take seconds per call).
   */
  const both = async (path, { beforeMax = Infinity, ...options }) => {
    const after = await callsPerSecond(builds.after, path, { seconds, ...options })
    return { after, before: await runOnce(builds.before, path, Math.min(after.n, beforeMax)) }
  }
  const m = {}
  // Before the first byte: admission and GPU slot in series and in parallel, taking turns.
  const pairs = { serial: [], parallel: [] }
  for (let i = 0; i < (ctx.quick ? 2 : 5); i++)
    for (const mode of ['serial', 'parallel']) pairs[mode].push((await runOnce(builds.after, `/capacity/pair?mode=${mode}`, ctx.quick ? 50 : 200)).perSecond)
  m.pairs = { serial: Math.max(...pairs.serial), parallel: Math.max(...pairs.parallel), runs: pairs }
  m.noop1 = await callsPerSecond(builds.after, '/capacity/noop?conc=1', { seconds })
  m.noop16 = await callsPerSecond(builds.after, '/capacity/noop?conc=16', { seconds })
  m.user1 = await both('/capacity/user?op=admit-settle&conc=1', { start: 20 })
  m.user16 = await both('/capacity/user?op=admit-settle&conc=16', { start: 20 })
  m.userRenew = await both('/capacity/user?op=renew&conc=16', { start: 20 })
  for (const origins of ORIGIN_COUNTS) {
    const conc = Math.min(origins, 16)
    m[`pool${origins}`] = await both(`/capacity/pool?origins=${origins}&waiting=0&conc=${conc}`, { start: 20, max: 20_000 })
    m[`pool${origins}q`] = await both(`/capacity/pool?origins=${origins}&waiting=${WAITING}&conc=${conc}`, { start: 20, max: 20_000, beforeMax: 40 })
  }
  // What 1,000 GPUs in one pool would be (docs/SCALE.md); this commit's objects only: the before
  // commit's take minutes to fill such a queue.
  m.pool1000q = await callsPerSecond(builds.after, `/capacity/pool?origins=1000&waiting=${WAITING}&conc=16`, { seconds, start: 20, max: 20_000 })
  m.poolRenew = await both(`/capacity/pool?op=renew&origins=100&waiting=${WAITING}&conc=16`, { start: 50, max: 50_000 })

  const noop = `no-op object: ${m.noop16.perSecond} calls/s (16 in flight), ${m.noop1.perSecond} (one at a time)`
  const noopBest = Math.max(m.noop16.perSecond, m.noop1.perSecond)
  const ownWork = (x) => Math.max(0, round(1e6 / x.perSecond - 1e6 / noopBest, 0))
  const row = (id, label, x, extra = (_r) => '') => ({
    id,
    label,
    value: `${x.after.perSecond} calls/s${extra(x.after)} (before: ${x.before.perSecond} calls/s${extra(x.before)})`,
    floor: noop,
    ratio: round(x.after.perSecond / noopBest, 2),
    delta: `≈ ${ownWork(x.after)} µs of the object's own work per call (before: ${ownWork(x.before)} µs); ${x.after.n} and ${x.before.n} operations measured`,
    target: null,
    met: null,
  })
  const syntheses = (r) => `, ${Math.round(r.perSecond / 2)} syntheses/s`
  const pairMs = (mode) => round(1000 / m.pairs[mode], 3)
  const rows = [
    {
      id: 'capacity.pair',
      label: 'Before the first byte, locally: admission + GPU slot (then settle + release), in series vs in parallel, one synthesis at a time',
      value: `parallel: ${pairMs('parallel')} ms per synthesis`,
      floor: `in series: ${pairMs('serial')} ms`,
      ratio: round(pairMs('parallel') / pairMs('serial'), 2),
      delta: `${signed(pairMs('parallel') - pairMs('serial'), 3)} ms (best of ${m.pairs.runs.serial.length} runs each, taking turns); the objects share the Worker's workerd and cores here, on Cloudflare they do not`,
      target: null,
      met: null,
    },
    row('capacity.user_admit', "UserObject: admissions (admit + settle, a synthesis' limit calls), 16 in flight", m.user16, (r) => `, ${Math.round(r.perSecond / 2)} admissions/s`),
    row('capacity.user_admit_serial', 'UserObject: admissions one at a time', m.user1, (r) => `, ${Math.round(r.perSecond / 2)} admissions/s`),
    row('capacity.user_renew', 'UserObject: lease renewals, 16 running syntheses', m.userRenew),
  ]
  for (const origins of ORIGIN_COUNTS) {
    rows.push(
      row(`capacity.pool_${origins}`, `OriginPool, ${origins} origin${origins > 1 ? 's' : ''} of one slot, no queue: acquire + release`, m[`pool${origins}`], syntheses),
      row(
        `capacity.pool_${origins}_queued`,
        `OriginPool, ${origins} origin${origins > 1 ? 's' : ''}, all busy, ${WAITING} waiting (one user each): release (seats the next) + acquire (joins the queue)`,
        m[`pool${origins}q`],
        syntheses,
      ),
    )
  }
  rows.push({
    id: 'capacity.pool_1000_queued',
    label: `OriginPool, 1000 origins, all busy, ${WAITING} waiting: release + acquire (this commit only)`,
    value: `${m.pool1000q.perSecond} calls/s, ${Math.round(m.pool1000q.perSecond / 2)} syntheses/s`,
    floor: noop,
    ratio: round(m.pool1000q.perSecond / noopBest, 2),
    delta: `≈ ${ownWork(m.pool1000q)} µs of the object's own work per call; ${m.pool1000q.n} operations measured`,
    target: null,
    met: null,
  })
  rows.push(row('capacity.pool_renew', `OriginPool, 100 origins busy, ${WAITING} waiting: lease renewals`, m.poolRenew))
  return { rows, raw: m }
}
