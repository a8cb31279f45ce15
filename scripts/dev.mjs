#!/usr/bin/env node
// `npm run dev`: the dev origin on :50000 and the Worker on :8787 (wrangler dev: local R2 and
// Durable Objects), with `.dev.vars` generated on first run.
import { spawn } from 'node:child_process'
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
const wrangler = spawn('npx', ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', String(WORKER_PORT), ...process.argv.slice(2)], {
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
