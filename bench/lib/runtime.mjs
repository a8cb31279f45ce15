// The Workers under test, in one workerd process started through Miniflare's API (as the tests
// run), each on its own loopback socket with no proxy in front: the edge as it deploys, the edge
// behind the latency model (this commit's and an older one's), a bare passthrough Worker (the
// floor) and the bench's helper Worker. Local R2 and Durable Object state live in a temporary
// directory (on tmpfs when the machine has one), SQLite files like wrangler dev's. Everything the Workers log is kept for the bench.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { findDescendant, ROOT } from './processes.mjs'

const require = createRequire(import.meta.url)
const wrangler = require('wrangler')
// The Miniflare (and workerd) that wrangler 4.86 itself runs: the toolchain pinned for Node 20.
const { Miniflare } = createRequire(require.resolve('wrangler/package.json'))('miniflare')

/**
 * Starts `workers` ({name, scriptPath, bindings, durableObjects?, edge?}); those with `edge: true`
 * get the edge's bindings from wrangler.toml (R2, Durable Objects, rate limits), all get its
 * compatibility date and flags. Returns each Worker's URL, what they logged, and workerd's pid.
 */
export async function startRuntime({ workers, persistTo }) {
  const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(join(ROOT, 'wrangler.toml'))
  const lines = []
  let partial = ''
  const mf = new Miniflare({
    defaultPersistRoot: persistTo,
    handleRuntimeStdio(stdout, stderr) {
      const take = (chunk) => {
        const text = partial + chunk
        const parts = text.split('\n')
        partial = parts.pop() ?? ''
        for (const line of parts) if (line.trim()) lines.push(line)
      }
      stdout.on('data', take)
      stderr.on('data', take)
    },
    workers: workers.map((w) => ({
      ...(w.edge ? workerOptions : {}),
      compatibilityDate: workerOptions.compatibilityDate,
      compatibilityFlags: workerOptions.compatibilityFlags,
      name: w.name,
      modules: true,
      scriptPath: w.scriptPath,
      // Module names are paths relative to this, and may not climb out of it.
      modulesRoot: dirname(w.scriptPath),
      modulesRules: undefined,
      bindings: { ...(w.edge ? workerOptions.bindings : {}), ...w.bindings },
      durableObjects: { ...(w.edge ? workerOptions.durableObjects : {}), ...w.durableObjects },
      unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
    })),
  })
  try {
    await mf.ready
  } catch (e) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    throw new Error(`workerd did not start: ${/** @type {Error} */ (e).message}\n${[...lines, partial].join('\n')}`)
  }
  await applyD1Migrations(mf, workers.find((w) => w.edge)?.name)
  const urls = {}
  for (const w of workers) urls[w.name] = (await mf.unsafeGetDirectURL(w.name)).href.replace(/\/$/, '')
  return {
    urls,
    /** Log lines the Workers wrote since `from` (an index into the run's lines). */
    logs: (from = 0) => lines.slice(from),
    logCount: () => lines.length,
    workerdPid: () => findDescendant(process.pid, 'workerd'),
    stop: () => mf.dispose(),
  }
}

/**
 * Each D1 database of wrangler.toml gets its schema from its `migrations_dir`, in order, as
 * `wrangler d1 migrations apply --local` would (the account directory: logins, section 9).
 */
async function applyD1Migrations(mf, workerName) {
  if (!workerName) return
  const config = wrangler.unstable_readConfig({ config: join(ROOT, 'wrangler.toml') })
  for (const { binding, migrations_dir: dir } of config.d1_databases ?? []) {
    if (!dir || !existsSync(join(ROOT, dir))) continue
    const db = await mf.getD1Database(binding, workerName)
    for (const file of readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith('.sql'))
      .sort()) {
      for (const statement of wrangler.unstable_splitSqlQuery(readFileSync(join(ROOT, dir, file), 'utf8'))) await db.prepare(statement).run()
    }
  }
}
