// 3. Verification inside workerd: jose vs a bare crypto.subtle verify, per algorithm, and the JWKS
// path with its key cached. Timed from outside (workerd's clocks stand still during computation):
// ops/s = n / (time of a request doing n verifies - time of one doing none).
import { median, ratio, round, timedRequest } from '../lib/measure.mjs'

const TARGET_MS = 200
const REPEATS = 7

async function opsPerSecond(microUrl, name) {
  const run = async (n) => (await expectOk(`${microUrl}/verify?case=${name}&n=${n}`)).total
  await run(0)
  // Calibrate n so a measured request takes about TARGET_MS.
  let n = 50
  let t = (await run(n)) - (await run(0))
  while (t < TARGET_MS / 4 && n < 200_000) {
    n *= 4
    t = (await run(n)) - (await run(0))
  }
  n = Math.max(50, Math.round((n * TARGET_MS) / Math.max(t, 1)))
  const empty = []
  const full = []
  for (let i = 0; i < REPEATS; i++) {
    empty.push(await run(0))
    full.push(await run(n))
  }
  const ms = median(full) - median(empty)
  return { n, ms: round(ms, 2), opsPerSecond: Math.round((n / ms) * 1000), usPerOp: round((ms / n) * 1000, 2) }
}

async function expectOk(url) {
  const r = await timedRequest(url, { method: 'GET' })
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}`)
  return r
}

export async function verification(ctx) {
  const cases = ['hs256-subtle', 'hs256-jose', 'hs256-jose-cryptokey', 'es256-subtle', 'es256-jose', 'es256-jwks', 'rs256-subtle', 'rs256-jose']
  const m = {}
  for (const name of cases) m[name] = await opsPerSecond(ctx.urls.micro, name)
  const row = (id, label, value, floor, { target = null, floorLabel = 'bare crypto.subtle' } = {}) => {
    const slower = ratio(floor.opsPerSecond, value.opsPerSecond)
    return {
      id,
      label,
      value: `${value.opsPerSecond} ops/s (${value.usPerOp} µs)`,
      floor: `${floorLabel}: ${floor.opsPerSecond} ops/s (${floor.usPerOp} µs)`,
      ratio: slower,
      delta: `+${round(value.usPerOp - floor.usPerOp, 2)} µs per token`,
      target: target ? `≤ ${target}x` : null,
      met: target ? slower <= target : null,
    }
  }
  return {
    rows: [
      row('verify.hs256', 'HS256, jose with the secret as raw bytes (the app before 2026-11-25)', m['hs256-jose'], m['hs256-subtle']),
      row('verify.hs256_cryptokey', 'HS256, jose with an imported CryptoKey (as the app verifies)', m['hs256-jose-cryptokey'], m['hs256-subtle'], { target: 1.1 }),
      row('verify.es256', 'ES256, jose', m['es256-jose'], m['es256-subtle']),
      row('verify.rs256', 'RS256, jose', m['rs256-jose'], m['rs256-subtle']),
      row('verify.jwks', 'ES256, jose with a remote JWKS (key cached)', m['es256-jwks'], m['es256-jose'], { floorLabel: 'jose with a local key' }),
    ],
    raw: m,
  }
}
