// The Worker served on a real loopback socket, the way `wrangler dev` (and `npm run dev`) serves it:
// for tests that must see the bytes a client sees (chunk framing, connection close), which
// `SELF.fetch` hides. Node side only (globalSetup). Its state is in memory; its one origin is
// `originUrl`, and its secrets are the test run's.
import { fileURLToPath } from 'node:url'
import { unstable_startWorker } from 'wrangler'
import { PRESET_SPEAKERS } from '../../dev/origin.mjs'

export async function startSocketEdge({ originUrl, secrets }) {
  // The Worker does not read request.cf: skip wrangler's fetch of it (offline machines), and metrics.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  process.env.WRANGLER_SEND_METRICS = 'false'
  const text = (value) => ({ type: 'plain_text', value })
  const worker = await unstable_startWorker({
    config: fileURLToPath(new URL('../../wrangler.toml', import.meta.url)),
    bindings: {
      ...Object.fromEntries(Object.entries(secrets).map(([name, value]) => [name, text(value)])),
      ORIGINS: text(JSON.stringify([{ url: originUrl, concurrency: 4, speakers: PRESET_SPEAKERS }])),
    },
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, persist: false, watch: false, logLevel: 'warn' },
  })
  const url = (await worker.url).href.replace(/\/$/, '')
  return { url, close: () => worker.dispose() }
}
