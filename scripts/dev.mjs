#!/usr/bin/env node
// `npm run dev`: the dev origin and the Worker (wrangler dev: local R2, D1 and Durable Objects), with
// `.dev.vars` generated on first run and the account directory's migrations applied to the local D1.
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { PRESET_SPEAKERS, startOrigin } from '../dev/origin.mjs'
import { UsageError, integerIn, parseCli, runCli } from './cli.mjs'
import { DEV_VARS_PATH, ensureDevVars, readDevVars } from './dev-vars.mjs'

const USAGE = `
usage: npm run dev [-- --port 8787] [--origin-port 50000] [--engine espeak|tone] [-- WRANGLER DEV ARGS]

Starts the dev origin (CosyVoice3 failing the way the stock server fails, with the preset speakers
and the [[dev:…]] fault directives: dev/origin.mjs) and the Worker on 127.0.0.1. Writes .dev.vars
with fresh random secrets on first run (never overwriting one) and applies migrations/ to the local D1.

  --port N          the Worker's port (default: PORT, else 8787)
  --origin-port N   the dev origin's port (default: DEV_ORIGIN_PORT, else 50000). The Worker's ORIGINS
                    follows it: the dev origin, unless .dev.vars sets ORIGINS itself
  --engine NAME     espeak (real speech, default: DEV_ORIGIN_ENGINE) or tone (fast, deterministic)
  -- ARGS           anything after a second -- goes to wrangler dev as it is

environment: PORT, DEV_ORIGIN_PORT, DEV_ORIGIN_ENGINE (the flags win)
`

await runCli('dev', async () => {
  const separator = process.argv.indexOf('--', 2)
  const own = separator < 0 ? process.argv.slice(2) : process.argv.slice(2, separator)
  const wranglerArgs = separator < 0 ? [] : process.argv.slice(separator + 1)
  const { values } = parseCli({
    name: 'dev',
    usage: USAGE,
    argv: own,
    options: { port: { type: 'string' }, 'origin-port': { type: 'string' }, engine: { type: 'string' } },
  })
  const workerPort = integerIn(values.port ?? process.env.PORT ?? '8787', values.port ? '--port' : 'PORT', 1, 65535)
  const originPort = integerIn(values['origin-port'] ?? process.env.DEV_ORIGIN_PORT ?? '50000', values['origin-port'] ? '--origin-port' : 'DEV_ORIGIN_PORT', 1, 65535)
  if (workerPort === originPort) throw new UsageError(`the Worker and the dev origin cannot share port ${workerPort}`)
  const engine = values.engine ?? process.env.DEV_ORIGIN_ENGINE ?? 'espeak'
  if (engine !== 'espeak' && engine !== 'tone') throw new UsageError(`${values.engine ? '--engine' : 'DEV_ORIGIN_ENGINE'} must be espeak or tone, got "${engine}"`)

  const { created, added } = ensureDevVars()
  if (added.length) console.log(`${created ? 'created' : 'updated'} ${DEV_VARS_PATH} with fresh ${added.join(', ')}`)
  const vars = readDevVars()

  const origin = await startOrigin({ port: originPort, secret: vars.ORIGIN_SECRET, engine, speakers: PRESET_SPEAKERS, directives: true, log: true })
  console.log(`dev origin (CosyVoice3 FastAPI protocol, ${engine} engine, speakers ${PRESET_SPEAKERS.join(' ')}) on ${origin.url}, edge proof required`)

  const root = fileURLToPath(new URL('..', import.meta.url))
  // migrations/ into the local D1 (idempotent), so `npm run user` and logins find their tables.
  const migrated = spawnSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { WRANGLER_SEND_METRICS: 'false', CI: '1', ...process.env },
  })
  if (migrated.status !== 0) {
    await origin.close()
    throw new Error('applying migrations/ to the local D1 failed (see above)')
  }
  // wrangler.toml's ORIGINS names port 50000; --var points the Worker at wherever the origin is.
  const originsVar = vars.ORIGINS ? [] : ['--var', `ORIGINS:${JSON.stringify([{ url: origin.url, concurrency: 1, model: 'cosyvoice3', speakers: PRESET_SPEAKERS }])}`]
  // --test-scheduled serves /__scheduled: `npm run user` calls it so that its changes reach live
  // sessions at once (deployed, the cron of wrangler.toml does it every minute).
  const wrangler = spawn('npx', ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', String(workerPort), '--test-scheduled', ...originsVar, ...wranglerArgs], {
    cwd: root,
    stdio: 'inherit',
    // The Worker does not read request.cf, so skip wrangler's fetch of it (it fails on offline machines).
    env: { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', ...process.env },
  })

  let stopping = false
  /** @param {number} code */
  async function stop(code) {
    if (stopping) return
    stopping = true
    wrangler.kill('SIGINT')
    await origin.close()
    process.exit(code)
  }
  process.on('SIGINT', () => stop(0))
  process.on('SIGTERM', () => stop(0))
  wrangler.on('exit', (code) => stop(code ?? 0))
})
