// The Worker under workerd on a real loopback socket: for tests that must see the bytes a client
// sees (chunk framing, connection close), which `SELF.fetch` hides. Node side only (globalSetup).
// Bundled once with esbuild and served by Miniflare, both the ones wrangler itself uses (not
// `wrangler dev`'s server: its watcher rebuilds, and the Worker stops answering, when its temp folder
// is cleared during a run). Its state is in memory; its one origin is `originUrl`; its secrets the test run's.
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PRESET_SPEAKERS } from '../../dev/origin.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
// Required, never imported: globalSetup runs through Vite, which would otherwise transform wrangler's
// 10 MB bundle on every `npm test` (20 s of one core before the first test file).
const require = createRequire(import.meta.url)
const fromWrangler = createRequire(require.resolve('wrangler'))

export async function startSocketEdge({ originUrl, secrets }) {
  const { build } = fromWrangler('esbuild')
  const { Miniflare } = fromWrangler('miniflare')
  const { unstable_getMiniflareWorkerOptions } = require('wrangler')
  const dir = mkdtempSync(join(tmpdir(), 'cosyvoice-socket-edge-'))
  const script = join(dir, 'index.mjs')
  await build({
    entryPoints: [join(ROOT, 'src/index.ts')],
    outfile: script,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*'],
    logLevel: 'warning',
  })
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, 'wrangler.toml'))
  const mf = new Miniflare({
    ...workerOptions,
    modules: true,
    modulesRoot: dir,
    scriptPath: script,
    bindings: { ...workerOptions.bindings, ...secrets, ORIGINS: JSON.stringify([{ url: originUrl, concurrency: 4, speakers: PRESET_SPEAKERS }]) },
    host: '127.0.0.1',
    port: 0,
    // Its request log lines and workerd's notes on the cut streams would only clutter the run.
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume()
      stderr.resume()
    },
  })
  const url = (await mf.ready).href.replace(/\/$/, '')
  return {
    url,
    close: async () => {
      await mf.dispose()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
