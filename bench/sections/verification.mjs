// 3. Verification inside workerd: jose vs a bare crypto.subtle verify (the same checks, written
// plainly), per algorithm, and the JWKS path with its key cached. Timed from outside (workerd's
// clocks stand still during computation): a request doing n verifies against one doing none. The
// cases of one algorithm use the same n and take turns, round after round, so that whatever else
// the machine does falls on all of them; each figure is the fastest round's (the least disturbed).
import { ratio, round, timedRequest } from '../lib/measure.mjs'

const TARGET_MS = 200
const ROUNDS = 11
const GROUPS = {
  hs256: ['hs256-hmac-only', 'hs256-subtle', 'hs256-jose', 'hs256-jose-cryptokey', 'hs256-app', 'hs256-app-repeat'],
  es256: ['es256-subtle', 'es256-jose', 'es256-jwks'],
  rs256: ['rs256-subtle', 'rs256-jose'],
}

async function time(microUrl, name, n) {
  const r = await timedRequest(`${microUrl}/verify?case=${name}&n=${n}`, { method: 'GET' })
  if (r.status !== 200) throw new Error(`${name} answered ${r.status}`)
  return r.total
}

/** Per case: µs per verify and verifies per second, cases of a group interleaved. */
async function measureGroup(microUrl, cases, rounds) {
  // n so that the slowest case's request takes about TARGET_MS.
  let n = 50
  for (;;) {
    const slowest = Math.max(...(await Promise.all(cases.map(async (c) => (await time(microUrl, c, n)) - (await time(microUrl, c, 0))))))
    if (slowest >= TARGET_MS / 4 || n >= 100_000) {
      n = Math.max(50, Math.round((n * TARGET_MS) / Math.max(slowest, 1)))
      break
    }
    n *= 4
  }
  const full = Object.fromEntries(cases.map((c) => [c, []]))
  const empty = []
  for (let i = 0; i < rounds; i++) {
    for (const c of cases) {
      empty.push(await time(microUrl, c, 0))
      full[c].push(await time(microUrl, c, n))
    }
  }
  // The fastest of each: on a shared machine every other run was slowed by something else.
  const floor = Math.min(...empty)
  return Object.fromEntries(
    cases.map((c) => {
      const ms = Math.max(0.001, Math.min(...full[c]) - floor)
      return [c, { n, ms: round(ms, 2), opsPerSecond: Math.round((n / ms) * 1000), usPerOp: round((ms / n) * 1000, 2) }]
    }),
  )
}

export async function verification(ctx) {
  const rounds = ctx.quick ? 3 : ROUNDS
  const m = {}
  for (const cases of Object.values(GROUPS)) Object.assign(m, await measureGroup(ctx.urls.micro, cases, rounds))
  /**
   * @param {string} id
   * @param {string} label
   * @param {{ opsPerSecond: number, usPerOp: number }} value
   * @param {{ opsPerSecond: number, usPerOp: number }} floor
   * @param {{ target?: number | null, floorLabel?: string }} [options]
   */
  const row = (id, label, value, floor, { target = null, floorLabel = 'bare crypto.subtle' } = {}) => {
    const slower = ratio(value.usPerOp, floor.usPerOp)
    return {
      id,
      label,
      value: `${value.opsPerSecond} ops/s (${value.usPerOp} µs)`,
      floor: `${floorLabel}: ${floor.opsPerSecond} ops/s (${floor.usPerOp} µs)`,
      ratio: slower,
      delta: `${value.usPerOp >= floor.usPerOp ? '+' : ''}${round(value.usPerOp - floor.usPerOp, 2)} µs per token`,
      target: target ? `≤ ${target}x` : null,
      met: target ? slower <= target : null,
    }
  }
  return {
    rows: [
      row('verify.hs256_hmac', 'HS256, the HMAC alone (crypto.subtle.verify over prepared bytes): what every verifier pays', m['hs256-hmac-only'], m['hs256-subtle']),
      row('verify.hs256', 'HS256, jose with the secret as raw bytes (the app before 2026-11-25)', m['hs256-jose'], m['hs256-subtle']),
      row('verify.hs256_cryptokey', 'HS256, jose with an imported CryptoKey (as the app verifies)', m['hs256-jose-cryptokey'], m['hs256-subtle'], { target: 1.1 }),
      row(
        'verify.hs256_app',
        "HS256, the app's whole token check, first sight of a token (verifyAccessToken: issuer routing, jose, claims, user key)",
        m['hs256-app'],
        m['hs256-subtle'],
      ),
      row(
        'verify.hs256_app_repeat',
        "HS256, the app's token check for a token this isolate verified before (every request after a token's first: src/auth/verified-tokens.ts)",
        m['hs256-app-repeat'],
        m['hs256-subtle'],
        { target: 1.1 },
      ),
      row('verify.es256', 'ES256, jose', m['es256-jose'], m['es256-subtle']),
      row('verify.rs256', 'RS256, jose', m['rs256-jose'], m['rs256-subtle']),
      row('verify.jwks', 'ES256, jose with a remote JWKS (key cached)', m['es256-jwks'], m['es256-jose'], { floorLabel: 'jose with a local key' }),
    ],
    raw: m,
  }
}
