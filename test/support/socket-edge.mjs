// The Worker served on a real loopback socket, the way `wrangler dev` (and `npm run dev`) serves it:
// for tests that must see the bytes a client sees (chunk framing, connection close), which
// `SELF.fetch` hides. Node side only (globalSetup). Its state is in memory; its one origin is
// `originUrl`, and its secrets are the test run's.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { unstable_startWorker } from 'wrangler'
import { PRESET_SPEAKERS } from '../../dev/origin.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export async function startSocketEdge({ originUrl, secrets }) {
  // The Worker does not read request.cf: skip wrangler's fetch of it (offline machines), and metrics.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  process.env.WRANGLER_SEND_METRICS = 'false'
  // wrangler keeps its build under the config's folder (.wrangler/tmp) and rebuilds when that
  // changes; the test pool clears the project's .wrangler/tmp, so this one's config lives apart.
  const dir = mkdtempSync(join(tmpdir(), 'cosyvoice-socket-edge-'))
  const config = join(dir, 'wrangler.toml')
  const main = JSON.stringify(join(ROOT, 'src/index.ts'))
  writeFileSync(config, readFileSync(join(ROOT, 'wrangler.toml'), 'utf8').replace(/^main = .*$/m, `main = ${main}`))
  const text = (value) => ({ type: 'plain_text', value })
  const worker = await unstable_startWorker({
    config,
    bindings: {
      ...Object.fromEntries(Object.entries(secrets).map(([name, value]) => [name, text(value)])),
      ORIGINS: text(JSON.stringify([{ url: originUrl, concurrency: 4, speakers: PRESET_SPEAKERS }])),
    },
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, persist: false, watch: false, logLevel: 'warn' },
  })
  const url = (await worker.url).href.replace(/\/$/, '')
  // Removed at exit, not at dispose: wrangler's bundler still watches the folder for a moment and
  // would report the removal as a failed build.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  return { url, close: () => worker.dispose() }
}
