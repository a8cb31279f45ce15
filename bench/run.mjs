#!/usr/bin/env node
// `npm run bench`: is the edge nearly free? Starts the dev origin, the edge and a helper Worker on
// loopback, measures each row next to its floor, and writes bench/results.json and
// docs/BENCHMARKS.md. Everything lives in a temporary directory; the project's .dev.vars and
// .wrangler state are never read or written.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PRESET_SPEAKERS } from '../dev/origin.mjs'
import { ROOT, startOriginProcess, startWrangler } from './lib/processes.mjs'
import { machine as describeMachine, printTable, writeMarkdown, writeResults } from './lib/report.mjs'
import { accessToken, randomSecret, verificationKeys } from './lib/tokens.mjs'
import { edgeOverhead, requestFloor } from './sections/edge-overhead.mjs'
import { verification } from './sections/verification.mjs'
import { limiter } from './sections/limiter.mjs'
import { streamingMemory } from './sections/streaming-memory.mjs'
import { downloads } from './sections/downloads.mjs'
import { bundle } from './sections/bundle.mjs'

const SETTINGS = {
  'load seconds per row': 5,
  'autocannon connections': 8,
  'sequential samples per latency row': 300,
  'flood connections': 10,
  'origin slots (ORIGINS concurrency)': 64,
}

const startedAt = new Date().toISOString()
const began = Date.now()
const tmp = mkdtempSync(join(tmpdir(), 'cosyvoice-bench-'))
const machine = describeMachine()
const stops = []
let failed = false

try {
  const secrets = { JWT_SECRET: randomSecret(), ORIGIN_SECRET: randomSecret(), LINK_SECRET: randomSecret() }
  const verify = await verificationKeys(secrets.JWT_SECRET)
  const jwks = await serveJson(verify.jwks)
  stops.push(() => jwks.close())

  console.log(`bench: temp dir ${tmp}`)
  const origin = await startOriginProcess({ secret: secrets.ORIGIN_SECRET, logDir: tmp })
  stops.push(() => origin.stop())
  const envFile = join(tmp, 'bench.env')
  writeFileSync(
    envFile,
    [
      ...Object.entries(secrets).map(([k, v]) => `${k}=${v}`),
      `ORIGINS='${JSON.stringify([{ url: origin.url, concurrency: SETTINGS['origin slots (ORIGINS concurrency)'], speakers: PRESET_SPEAKERS }])}'`,
      `BENCH_KEYS='${JSON.stringify(verify.keys)}'`,
      `BENCH_JWKS_URL=${jwks.url}`,
      '',
    ].join('\n'),
  )
  console.log('bench: starting the edge and the helper Worker (wrangler dev)')
  const [edge, micro] = await Promise.all([
    startWrangler({ config: join(ROOT, 'wrangler.toml'), envFile, persistTo: join(tmp, 'edge-state'), logDir: tmp, name: 'edge' }),
    startWrangler({ config: microConfig(tmp), envFile, persistTo: join(tmp, 'micro-state'), logDir: tmp, name: 'micro' }),
  ])
  stops.push(() => edge.stop(), () => micro.stop())

  const run = Date.now().toString(36)
  const tokens = {
    admin: await accessToken(secrets.JWT_SECRET, `bench-admin-${run}`, 'admin'),
    flood: await accessToken(secrets.JWT_SECRET, `bench-flood-${run}`, 'free'),
  }
  const ctx = { origin, edge, micro, secrets, tokens, tmp }
  const load = { probeN: SETTINGS['sequential samples per latency row'], seconds: SETTINGS['load seconds per row'], connections: SETTINGS['autocannon connections'] }

  const sections = []
  const section = async (title, fn) => {
    console.log(`bench: ${title}`)
    const t = Date.now()
    try {
      const result = await fn()
      sections.push({ title, rows: result.rows, raw: result.raw, seconds: Math.round((Date.now() - t) / 1000) })
      return result
    } catch (e) {
      failed = true
      console.error(`bench: ${title} failed:`, e)
      sections.push({ title, rows: [], error: String(/** @type {Error} */ (e)?.message ?? e) })
    }
  }

  let overhead
  await section('1. Edge overhead (same synthesis: "Hello.", 0.6 s of audio)', async () => {
    overhead = await edgeOverhead(ctx, load)
    const floor = await requestFloor(ctx, load)
    return { rows: [...overhead.rows, ...floor.rows], raw: { synthesis: overhead.raw, bytes: overhead.bytes, requests: floor.raw } }
  })
  await section('2. Token verification in workerd', () => verification(ctx))
  await section('3. Limiter (per-user Durable Object)', () => limiter(ctx, { floodConnections: SETTINGS['flood connections'] }))
  await section('4. Streaming', async () => {
    const memory = await streamingMemory(ctx)
    return { rows: [...(overhead ? [overhead.ttfb] : []), ...memory.rows], raw: { memory: memory.raw } }
  })
  await section('5. Downloads (1 MB object)', () => downloads(ctx, load))
  await section('6. Bundle', () => bundle(ctx))

  const seconds = (Date.now() - began) / 1000
  const output = { machine, settings: SETTINGS, sections, startedAt, seconds }
  printTable(sections)
  writeResults(join(ROOT, 'bench/results.json'), output)
  writeMarkdown(join(ROOT, 'docs/BENCHMARKS.md'), output)
  console.log(`\nbench: wrote bench/results.json and docs/BENCHMARKS.md in ${Math.round(seconds)} s`)
} catch (e) {
  failed = true
  console.error('bench failed:', e)
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {})
  if (!failed) rmSync(tmp, { recursive: true, force: true })
  else console.error(`bench: logs kept in ${tmp}`)
}
process.exit(failed ? 1 : 0)

/**
 * The helper Worker runs with the edge's own wrangler.toml (same bindings, Durable Object classes,
 * compatibility date and flags), with only its name and entry point swapped.
 */
function microConfig(dir) {
  const edgeConfig = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8')
  const main = JSON.stringify(join(ROOT, 'bench/workers/micro.ts'))
  const config = edgeConfig.replace(/^name\s*=.*$/m, 'name = "cosyvoice-edge-bench-micro"').replace(/^main\s*=.*$/m, `main = ${main}`)
  if (!config.includes(main)) throw new Error('wrangler.toml has no top-level main = ... line to replace')
  const path = join(dir, 'micro.wrangler.toml')
  writeFileSync(path, config)
  return path
}

/** The JWKS endpoint the helper Worker's remote key set fetches (once; jose caches it). */
function serveJson(body) {
  return new Promise((resolve) => {
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)))
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/jwks.json`, close: () => new Promise((r) => server.close(r)) }),
    )
  })
}
