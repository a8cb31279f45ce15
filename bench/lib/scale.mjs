// docs/SCALE.md: bench/SCALE.template.md with the capacity figures of this run filled in, and the
// projection for 1,000 GPU origins worked out from them (see the template for the reasoning).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './processes.mjs'

const GPUS = 1000
/** GPU seconds per synthesis (COSYVOICE.md): short text on a fast GPU, short text, a few sentences, a paragraph. */
const DURATIONS = [0.5, 1, 2, 10]
/** Cloudflare's soft limit for one Durable Object, requests per second. */
const SOFT_LIMIT = 1000
/** Calls per synthesis to the user's object: admit, settle, recordAudit. */
const USER_CALLS = 3

const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2))

export function writeScale(path, { sections, startedAt, machine }) {
  const capacity = sections.find((s) => s.number === 5)?.raw
  if (!capacity) return false
  const m = capacity
  const row = (label, x) => `| ${label} | ${fmt(x.after.perSecond)} | ${fmt(x.before.perSecond)} |`
  const capacityRows = [
    `| no-op object (the cost of a call itself) | ${fmt(Math.max(m.noop1.perSecond, m.noop16.perSecond))} | |`,
    row('`UserObject`: admit + settle, 16 in flight', m.user16),
    row('`UserObject`: admit + settle, one at a time', m.user1),
    row('`UserObject`: lease renewals', m.userRenew),
    row('`OriginPool`, 1 origin, no queue: acquire + release', m.pool1),
    row('`OriginPool`, 10 origins, no queue', m.pool10),
    row('`OriginPool`, 100 origins, no queue', m.pool100),
    row('`OriginPool`, 1 origin busy, 1,000 waiting: release + acquire', m.pool1q),
    row('`OriginPool`, 10 origins busy, 1,000 waiting', m.pool10q),
    row('`OriginPool`, 100 origins busy, 1,000 waiting', m.pool100q),
    `| \`OriginPool\`, 1,000 origins busy, 1,000 waiting | ${fmt(m.pool1000q.perSecond)} | (not run: minutes to fill) |`,
    row('`OriginPool`, 100 origins, 1,000 waiting: lease renewals', m.poolRenew),
  ].join('\n')
  const pool1000 = m.pool1000q.perSecond
  const pool100 = m.pool100q.after.perSecond
  const headroom = DURATIONS.map((d) => {
    const low = (2 * GPUS) / d
    const high = (3 * GPUS) / d
    return `| ${d} s | ${fmt(low)}-${fmt(high)} | ${fmt(pool1000)} | ${fmt(pool1000 / high)}-${fmt(pool1000 / low)}x | ${fmt(SOFT_LIMIT / high)}-${fmt(SOFT_LIMIT / low)}x |`
  }).join('\n')
  const userAdmissions = m.user16.after.perSecond / 2
  const values = {
    __RUN__: `${startedAt} (commit ${machine.commit}, load average ${machine.loadAtStart.text} at the start)`,
    __CAPACITY_ROWS__: capacityRows,
    __N_GROWTH__: fmt(pool100 / pool1000),
    __POOL_HEADROOM__: headroom,
    __USER_ADMISSIONS__: fmt(userAdmissions),
    __USER_HEADROOM__: fmt(m.user16.after.perSecond / USER_CALLS),
    __POOL100__: `${fmt(pool100)} calls/s`,
    __SHARD_HEADROOM__: `${fmt(pool100 / 300)}-${fmt(pool100 / 200)}x`,
    __ONE_POOL_GPUS__: fmt(Math.min(pool100, SOFT_LIMIT) / 3),
  }
  let text = readFileSync(join(ROOT, 'bench/SCALE.template.md'), 'utf8')
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(key, value)
  writeFileSync(path, text)
  return true
}
