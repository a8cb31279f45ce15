#!/usr/bin/env node
// `npm run dev`: the dev origin on :50000 and the Worker on :8787 (wrangler dev: local R2, D1 and
// Durable Objects), with `.dev.vars` generated on first run and the account directory's migrations
// applied to the local D1.
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { PRESET_SPEAKERS, startOrigin } from '../dev/origin.mjs'
import { DEV_VARS_PATH, ensureDevVars, readDevVars } from './dev-vars.mjs'

const ORIGIN_PORT = Number(process.env.DEV_ORIGIN_PORT ?? 50000)
const WORKER_PORT = Number(process.env.PORT ?? 8787)

const { created, added } = ensureDevVars()
if (added.length) console.log(`${created ? 'created' : 'updated'} ${DEV_VARS_PATH} with fresh ${added.join(', ')}`)
const vars = readDevVars()

// CosyVoice3 failing the way the stock server fails, with the preset speakers wrangler.toml declares
// and the [[dev:…]] fault directives switched on (README).
const origin = await startOrigin({ port: ORIGIN_PORT, secret: vars.ORIGIN_SECRET, speakers: PRESET_SPEAKERS, directives: true, log: true })
console.log(`dev origin (CosyVoice3 FastAPI protocol, espeak-ng voices, speakers ${PRESET_SPEAKERS.join(' ')}) on ${origin.url}, edge proof required`)

const root = fileURLToPath(new URL('..', import.meta.url))
// migrations/ into the local D1 (idempotent), so `npm run user` and logins find their tables.
const migrated = spawnSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { WRANGLER_SEND_METRICS: 'false', CI: '1', ...process.env },
})
if (migrated.status !== 0) {
  await origin.close()
  console.error('applying migrations/ to the local D1 failed (see above)')
  process.exit(1)
}
// --test-scheduled serves /__scheduled: `npm run user` calls it so that its changes reach live
// sessions at once (deployed, the cron of wrangler.toml does it every minute).
// With DEV_ORIGIN_PORT, the Worker is pointed at the dev origin where it really listens (ORIGINS of
// wrangler.toml names :50000).
const originVar = process.env.DEV_ORIGIN_PORT ? ['--var', `ORIGINS:${JSON.stringify([{ url: origin.url, concurrency: 1, model: 'cosyvoice3', speakers: PRESET_SPEAKERS }])}`] : []
const wrangler = spawn('npx', ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', String(WORKER_PORT), '--test-scheduled', ...originVar, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  // The Worker does not read request.cf, so skip wrangler's fetch of it (it fails on offline machines).
  env: { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', ...process.env },
})

let stopping = false
async function stop(code = 0) {
  if (stopping) return
  stopping = true
  wrangler.kill('SIGINT')
  await origin.close()
  process.exit(code)
}
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))
wrangler.on('exit', (code) => stop(code ?? 0))
