// 5. What one object sustains. The helper Worker (bench/workers/micro.ts) sets an object up, then
// streams a line, makes the calls (several in flight, as many Workers would), and streams another
// line; the time between the two lines is the run. The caller runs in the same workerd (and on the
// same 2 cores) as the object, so each figure is a floor of what the object alone would do; the
// no-op object's row is the cost of a call itself, the part that is not the object's work.
import http from 'node:http'
import { round } from '../lib/measure.mjs'

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

/** Calls per second of `path` (with `n` calls), n scaled so that a run lasts about `seconds`. */
async function callsPerSecond(micro, path, { seconds, start = 50, max = 200_000 }) {
  const url = (n) => `${micro}${path}${path.includes('?') ? '&' : '?'}n=${n}`
  let n = start
  let run = await timedRun(url(n))
  while (run.seconds < seconds / 4 && n < max) {
    n = Math.min(max, Math.ceil(n * Math.max(2, (seconds / Math.max(run.seconds, 0.001)) / 2)))
    run = await timedRun(url(n))
  }
  if (run.seconds < seconds / 2 && n < max) {
    n = Math.min(max, Math.ceil((n * seconds) / Math.max(run.seconds, 0.001)))
    run = await timedRun(url(n))
  }
  return { n, seconds: round(run.seconds, 3), perSecond: Math.round(run.result.calls / run.seconds), result: run.result }
}

export async function capacity(ctx) {
  const micro = ctx.urls.micro
  const seconds = ctx.settings['capacity seconds per row (about)']
  const m = {}
  m.noop1 = await callsPerSecond(micro, '/capacity/noop?conc=1', { seconds })
  m.noop16 = await callsPerSecond(micro, '/capacity/noop?conc=16', { seconds })
  m.user1 = await callsPerSecond(micro, '/capacity/user?op=admit-settle&conc=1', { seconds, start: 20 })
  m.user16 = await callsPerSecond(micro, '/capacity/user?op=admit-settle&conc=16', { seconds, start: 20 })
  m.userRenew = await callsPerSecond(micro, '/capacity/user?op=renew&conc=16', { seconds, start: 20 })
  for (const origins of ORIGIN_COUNTS) {
    const conc = Math.min(origins, 16)
    m[`pool${origins}`] = await callsPerSecond(micro, `/capacity/pool?origins=${origins}&waiting=0&conc=${conc}`, { seconds, start: 10, max: 20_000 })
    m[`pool${origins}q`] = await callsPerSecond(micro, `/capacity/pool?origins=${origins}&waiting=${WAITING}&conc=${conc}`, { seconds, start: 5, max: 20_000 })
  }
  m.poolRenew = await callsPerSecond(micro, `/capacity/pool?op=renew&origins=100&waiting=${WAITING}&conc=16`, { seconds, start: 20, max: 50_000 })

  const noop = `no-op object: ${m.noop16.perSecond} calls/s (16 in flight), ${m.noop1.perSecond} (one at a time)`
  const per = (x) => `${x.perSecond} calls/s`
  const row = (id, label, x, extra = '') => ({
    id,
    label,
    value: `${per(x)}${extra}`,
    floor: noop,
    ratio: round(x.perSecond / m.noop16.perSecond, 2),
    delta: `≈ ${round(1e6 / x.perSecond - 1e6 / m.noop16.perSecond, 1)} µs of the object's own work per call (${x.n} calls in ${x.seconds} s)`,
    target: null,
    met: null,
  })
  const rows = [
    row('capacity.user_admit', "UserObject: admissions (admit + settle, a synthesis' limit calls), 16 in flight", m.user16, `: ${Math.round(m.user16.perSecond / 2)} admissions/s (one at a time: ${Math.round(m.user1.perSecond / 2)}/s)`),
    row('capacity.user_renew', 'UserObject: lease renewals, 16 running syntheses', m.userRenew),
  ]
  for (const origins of ORIGIN_COUNTS) {
    const free = m[`pool${origins}`]
    const queued = m[`pool${origins}q`]
    rows.push(
      row(`capacity.pool_${origins}`, `OriginPool, ${origins} origin${origins > 1 ? 's' : ''} of one slot, no queue: acquire + release`, free, `: ${Math.round(free.perSecond / 2)} syntheses/s`),
      row(
        `capacity.pool_${origins}_queued`,
        `OriginPool, ${origins} origin${origins > 1 ? 's' : ''}, all busy, ${WAITING} waiting (one user each): release (seats the next) + acquire (joins the queue)`,
        queued,
        `: ${Math.round(queued.perSecond / 2)} syntheses/s; ${queued.result.waitingAtEnd} still waiting at the end`,
      ),
    )
  }
  rows.push(row('capacity.pool_renew', `OriginPool, 100 origins busy, ${WAITING} waiting: lease renewals`, m.poolRenew))
  return { rows, raw: m }
}
