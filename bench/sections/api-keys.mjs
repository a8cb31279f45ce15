// 9. A key-authenticated request next to a JWT-authenticated one (the same user, the same short
// synthesis, taking turns). The bench makes an account as an operator would (POST /admin/users),
// then scripts/api-key.mjs's createApiKey logs in and makes a key (README "Personal API keys").
// Without API keys on main (issue 16) the rows say so instead.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { probeInterleaved, ratio, signed } from '../lib/measure.mjs'
import { ROOT } from '../lib/processes.mjs'
import { edgeRequest } from '../lib/synthesis.mjs'
import { randomSecret } from '../lib/tokens.mjs'

/** Admin: no per-user limit may refuse a measured request (a key takes its owner's role). */
const BENCH_LOGIN = { username: 'bench-keys', role: 'admin' }

export async function apiKeys(ctx) {
  const script = join(ROOT, 'scripts/api-key.mjs')
  const pending = (why) => ({
    rows: [
      {
        id: 'auth.api_key',
        label: 'Synthesis authenticated with an API key vs the same with a JWT',
        value: `n/a: ${why}`,
        floor: null,
        ratio: null,
        delta: 'hook: bench/sections/api-keys.mjs measures the pair once scripts/api-key.mjs (issue 16) is on main',
        target: null,
        met: null,
      },
    ],
    raw: { pending: why },
  })
  if (!existsSync(script)) return pending('API keys are not on main yet (branch i16-apikeys)')
  const { createApiKey } = await import(pathToFileURL(script).href)
  const password = randomSecret()
  const account = await fetch(`${ctx.urls.edge}/admin/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.tokens.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...BENCH_LOGIN, password }),
  })
  if (account.status !== 201) return pending(`could not make an account: POST /admin/users answered ${account.status} ${await account.text()}`)
  let created
  try {
    created = await createApiKey({ url: ctx.urls.edge, username: BENCH_LOGIN.username, password, name: 'bench', scope: 'tts' })
  } catch (e) {
    return pending(`could not make a key: ${/** @type {Error} */ (e).message}`)
  }
  const n = ctx.settings['sequential samples per latency row (local)']
  const probed = await probeInterleaved(
    {
      jwt: { url: `${ctx.urls.edge}/v1/tts`, request: edgeRequest(created.access_token) },
      key: { url: `${ctx.urls.edge}/v1/tts`, request: edgeRequest(created.key) },
    },
    { n: Math.min(n, 100) },
  )
  for (const [name, p] of Object.entries(probed)) if (p.statuses[200] !== p.n) throw new Error(`${name}: statuses ${JSON.stringify(p.statuses)}`)
  const { jwt, key } = probed
  const ms = (r) => `first byte p50 ${r.firstByte.p50} ms, whole p50 ${r.total.p50} ms`
  return {
    rows: [
      { id: 'auth.jwt', label: 'Synthesis authenticated with a JWT (a login of the same user)', value: ms(jwt), floor: null, ratio: null, delta: null, target: null, met: null },
      {
        id: 'auth.api_key',
        label: 'The same synthesis authenticated with an API key',
        value: ms(key),
        floor: `JWT: ${ms(jwt)}`,
        ratio: ratio(key.firstByte.p50, jwt.firstByte.p50),
        delta: `${signed(key.firstByte.p50 - jwt.firstByte.p50)} ms first byte, ${signed(key.total.p50 - jwt.total.p50)} ms whole`,
        target: null,
        met: null,
      },
    ],
    raw: { jwt: { firstByte: jwt.firstByte, total: jwt.total }, key: { firstByte: key.firstByte, total: key.total } },
  }
}
