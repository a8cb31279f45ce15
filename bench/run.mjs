#!/usr/bin/env node
// `npm run bench`: what production will feel. Builds the edge as it deploys and the bench's Workers,
// starts them in one workerd through Miniflare's API next to the dev origin, measures each row
// next to its floor, and writes bench/results.json and docs/BENCHMARKS.md. Everything lives in a
// temporary directory; the project's .dev.vars and .wrangler state are never read or written.
//
//   BENCH_QUICK=1        small counts, to check the bench itself (results are not written)
//   BENCH_SECTIONS=1,4   only these sections (results are not written)
//   BENCH_SCENARIOS=far  only these latency-model scenarios (section 2; ids in sections/latency-model.mjs)
//   BENCH_BEFORE=<ref>   the commit whose src/ is "before" (latency model, flood, capacity; default below)
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildEdge, bundleAt, bundleWorker } from './lib/build.mjs'
import { ROOT, startOriginProcess } from './lib/processes.mjs'
import { machine as describeMachine, printRows, systemLoad, writeMarkdown, writeResults } from './lib/report.mjs'
import { startRuntime } from './lib/runtime.mjs'
import { writeScale } from './lib/scale.mjs'
import { accessToken, randomSecret, verificationKeys } from './lib/tokens.mjs'
import { SPEAKER } from './lib/synthesis.mjs'
import { firstByte } from './sections/first-byte.mjs'
import { latencyModel } from './sections/latency-model.mjs'
import { verification } from './sections/verification.mjs'
import { flood } from './sections/flood.mjs'
import { capacity } from './sections/capacity.mjs'
import { streamingMemory } from './sections/streaming-memory.mjs'
import { downloads } from './sections/downloads.mjs'
import { bundle } from './sections/bundle.mjs'
import { apiKeys } from './sections/api-keys.mjs'

/** main before issue 19: user admission, then the GPU slot, in series; no isolate-side refusals of concurrency. */
const DEFAULT_BEFORE = '827f1a2'

const quick = Boolean(process.env.BENCH_QUICK)
const only = process.env.BENCH_SECTIONS?.split(',').map((s) => s.trim())
const SETTINGS = {
  'sequential samples per latency row (local)': quick ? 30 : 300,
  'sequential samples per latency row (modelled)': quick ? 8 : 40,
  'load seconds per throughput row': quick ? 1 : 4,
  'autocannon connections': 8,
  'flood requests': quick ? 200 : 1000,
  'flood connections': 10,
  'capacity seconds per row (about)': quick ? 0.2 : 1,
  'origin slots (ORIGINS concurrency)': 64,
  before: process.env.BENCH_BEFORE ?? DEFAULT_BEFORE,
}

const startedAt = new Date().toISOString()
const began = Date.now()
const tmp = mkdtempSync(join(tmpdir(), 'cosyvoice-bench-'))
const machine = describeMachine()
const stops = []
let failed = false
console.log(`bench: ${machine.uptimeAtStart}`)
// Interrupted (Ctrl-C, kill): stop what was started (workerd, the origin) before leaving.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    console.error(`bench: ${signal}, stopping`)
    for (const stop of stops.reverse()) await stop().catch(() => {})
    process.exit(130)
  })
}

try {
  const secrets = { JWT_SECRET: randomSecret(), ORIGIN_SECRET: randomSecret(), LINK_SECRET: randomSecret() }
  const verify = await verificationKeys(secrets.JWT_SECRET)
  const jwks = await serveJson(verify.jwks)
  stops.push(() => jwks.close())

  console.log(`bench: temp dir ${tmp}; building`)
  const [edgeBundle, before] = await Promise.all([buildEdge(join(tmp, 'edge-bundle')), bundleAt(SETTINGS.before, join(tmp, 'before'))])
  const scripts = {
    model: await bundleWorker(join(ROOT, 'bench/workers/edge-model.ts'), join(tmp, 'edge-model.js')),
    passthrough: await bundleWorker(join(ROOT, 'bench/workers/passthrough.ts'), join(tmp, 'passthrough.js')),
    micro: await bundleWorker(join(ROOT, 'bench/workers/micro.ts'), join(tmp, 'micro.js')),
    capacity: await bundleWorker(join(ROOT, 'bench/workers/capacity.ts'), join(tmp, 'capacity.js')),
  }

  const origin = await startOriginProcess({ secret: secrets.ORIGIN_SECRET, logDir: tmp })
  stops.push(() => origin.stop())
  const ORIGINS = JSON.stringify([{ url: origin.url, concurrency: SETTINGS['origin slots (ORIGINS concurrency)'], speakers: [SPEAKER] }])
  const edgeVars = { ...secrets, ORIGINS }
  console.log('bench: starting workerd (Miniflare)')
  // Durable Object and R2 state on tmpfs when there is one: on this VM's shared disk SQLite's fsync
  // costs 4-8 ms per write (bench/NOTES.md), which measures the disk, not the object. What a write
  // costs on Cloudflare (confirmation by replicas) is part of the latency model's round trip.
  const state = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/cosyvoice-bench-') : join(tmp, 'state')
  stops.push(async () => rmSync(state, { recursive: true, force: true }))
  const runtime = await startRuntime({
    persistTo: state,
    workers: [
      { name: 'edge', scriptPath: edgeBundle.entry, edge: true, bindings: edgeVars },
      { name: 'edge-model', scriptPath: scripts.model, edge: true, bindings: edgeVars },
      { name: 'edge-before', scriptPath: before.model, edge: true, bindings: edgeVars },
      { name: 'passthrough', scriptPath: scripts.passthrough, bindings: { ORIGIN_URL: origin.url } },
      {
        name: 'micro',
        scriptPath: scripts.micro,
        edge: true,
        bindings: { ...edgeVars, BENCH_KEYS: JSON.stringify(verify.keys), BENCH_JWKS_URL: jwks.url },
      },
      ...[
        ['capacity', scripts.capacity],
        ['capacity-before', before.capacity],
      ].map(([name, scriptPath]) => ({ name, scriptPath, edge: true, bindings: edgeVars, durableObjects: { NOOP: { className: 'NoopObject', useSQLite: true } } })),
    ],
  })
  stops.push(() => runtime.stop())

  const run = Date.now().toString(36)
  const tokens = {
    admin: await accessToken(secrets.JWT_SECRET, `bench-admin-${run}`, 'admin'),
    token: (sub, role) => accessToken(secrets.JWT_SECRET, `${sub}-${run}`, role),
  }
  const ctx = { origin, runtime, urls: runtime.urls, secrets, tokens, tmp, settings: SETTINGS, quick, edgeBundle, before }

  const sections = []
  const section = async (number, title, fn) => {
    if (only && !only.includes(String(number))) return
    const sectionLoad = systemLoad()
    console.log(`bench: ${number}. ${title} (load ${sectionLoad.text})`)
    const t = Date.now()
    let entry
    try {
      const result = await fn()
      entry = { number, title: `${number}. ${title}`, load: sectionLoad, rows: result.rows, raw: result.raw, seconds: Math.round((Date.now() - t) / 1000) }
    } catch (e) {
      failed = true
      console.error(`bench: ${title} failed:`, e)
      console.error(`bench: the Workers' last log lines:\n${runtime.logs(Math.max(0, runtime.logCount() - 30)).join('\n')}`)
      entry = { number, title: `${number}. ${title}`, load: sectionLoad, rows: [], error: String(/** @type {Error} */ (e)?.message ?? e) }
    }
    sections.push(entry)
    printRows(entry)
  }

  await section(1, 'First byte and whole synthesis, locally: direct, passthrough floor, edge', () => firstByte(ctx))
  await section(2, 'Production latency modelled: every Durable Object call costs a round trip', () => latencyModel(ctx))
  await section(3, 'Token verification in workerd', () => verification(ctx))
  await section(4, 'Flood: one user far over their limits', () => flood(ctx))
  await section(5, 'Capacity of one OriginPool and one UserObject', () => capacity(ctx))
  await section(6, 'Streaming memory', () => streamingMemory(ctx))
  await section(7, 'Downloads (1 MB object)', () => downloads(ctx))
  await section(8, 'Bundle', () => bundle(ctx))
  await section(9, 'API keys', () => apiKeys(ctx))

  const seconds = (Date.now() - began) / 1000
  const output = { machine, settings: SETTINGS, sections, startedAt, seconds, loadAtEnd: systemLoad() }
  if (quick || only) {
    writeResults(join(tmp, 'results.json'), output)
    console.log(`\nbench: a partial run (BENCH_QUICK or BENCH_SECTIONS): results in ${tmp}/results.json only`)
  } else {
    writeResults(join(ROOT, 'bench/results.json'), output)
    writeMarkdown(join(ROOT, 'docs/BENCHMARKS.md'), output)
    writeScale(join(ROOT, 'docs/SCALE.md'), output)
    console.log(`\nbench: wrote bench/results.json, docs/BENCHMARKS.md and docs/SCALE.md in ${Math.round(seconds)} s (load at the end ${output.loadAtEnd.text})`)
  }
} catch (e) {
  failed = true
  console.error('bench failed:', e)
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {})
  if (!failed && !quick && !only) rmSync(tmp, { recursive: true, force: true })
  else console.error(`bench: files kept in ${tmp}`)
}
process.exit(failed ? 1 : 0)

/** The JWKS endpoint the helper Worker's remote key set fetches (once; jose caches it). */
function serveJson(body) {
  return new Promise((resolve) => {
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)))
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/jwks.json`, close: () => new Promise((r) => server.close(r)) }),
    )
  })
}
