import { unstable_startWorker } from 'wrangler'
import { PRESET_SPEAKERS } from '../../dev/origin.mjs'
import { TEST_SECRETS } from './test-secrets'

/**
 * The Worker served on a real loopback socket, the way `wrangler dev` (and `npm run dev`) serves it:
 * for tests that must see the bytes a client sees (chunk framing, connection close), which
 * `SELF.fetch` hides. Node side only (globalSetup). Its state is in memory, apart from the test
 * bindings; its one origin is `originUrl`.
 */
export async function startSocketEdge(originUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  // The Worker does not read request.cf: skip wrangler's fetch of it (offline machines), and metrics.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  process.env.WRANGLER_SEND_METRICS = 'false'
  const text = (value: string) => ({ type: 'plain_text' as const, value })
  const worker = await unstable_startWorker({
    config: new URL('../../wrangler.toml', import.meta.url).pathname,
    bindings: {
      ...Object.fromEntries(Object.entries(TEST_SECRETS).map(([name, value]) => [name, text(value)])),
      ORIGINS: text(JSON.stringify([{ url: originUrl, concurrency: 4, speakers: PRESET_SPEAKERS }])),
    },
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, persist: false, watch: false, logLevel: 'warn' },
  })
  const url = (await worker.url).href.replace(/\/$/, '')
  return { url, close: () => worker.dispose() }
}
