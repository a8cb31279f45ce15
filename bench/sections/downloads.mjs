// 7. Downloads of a 1 MB object: the owner's authenticated route (the floor), signed links (/d/...)
// and share links (/s/...), whole and with a Range. Links and shares are n/a until their routes exist.
import { load, ratio } from '../lib/measure.mjs'
import { SPEAKER } from '../lib/synthesis.mjs'

/** 109 characters twice: 21.8 s of 24 kHz 16-bit mono, 1,046,444 bytes as WAV. */
const ONE_MB_TEXT = `You are a helpful assistant.<|endofprompt|>[[dev:repeat=2]]${'b'.repeat(109)}`
const RANGE = 'bytes=524288-589823'

/**
 * Each request from a different address, as when a link is passed around: the anonymous routes
 * have a per-address brake (ANONYMOUS_LIMIT), which would otherwise be what this measures. Locally
 * the client's CF-Connecting-IP goes through; on Cloudflare the edge sets it.
 */
function asNewListener(req) {
  const ip = `10.${(Math.random() * 256) | 0}.${(Math.random() * 256) | 0}.${(Math.random() * 256) | 0}`
  return { ...req, headers: { ...req.headers, 'cf-connecting-ip': ip } }
}

async function createObject(edgeUrl, token) {
  const res = await fetch(`${edgeUrl}/v1/tts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: ONE_MB_TEXT, mode: 'sft', speaker: SPEAKER }),
  })
  if (res.status !== 200) throw new Error(`1 MB synthesis answered ${res.status}`)
  const id = res.headers.get('x-audio-id')
  const size = (await res.arrayBuffer()).byteLength
  for (let i = 0; i < 50; i++) {
    const head = await fetch(`${edgeUrl}/v1/audio/${id}`, { headers: { authorization: `Bearer ${token}` } })
    await head.arrayBuffer()
    if (head.ok) return { id, size }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`audio ${id} never appeared`)
}

/** POSTs to make a link or share; undefined if the route is not there yet. */
async function makeUrl(edgeUrl, token, path, json) {
  const res = await fetch(`${edgeUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(json),
  })
  if (res.status === 404 || res.status === 405) return undefined
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`)
  const { url } = await res.json()
  return new URL(url, edgeUrl).href
}

export async function downloads(ctx) {
  const { tokens, settings } = ctx
  const edge = { url: ctx.urls.edge }
  const seconds = settings['load seconds per throughput row']
  const connections = settings['autocannon connections']
  const { id, size } = await createObject(edge.url, tokens.admin)
  const owner = { url: `${edge.url}/v1/audio/${id}/content`, headers: { authorization: `Bearer ${tokens.admin}` } }
  const link = await makeUrl(edge.url, tokens.admin, `/v1/audio/${id}/link`, { ttl_seconds: 3600 })
  const share = await makeUrl(edge.url, tokens.admin, `/v1/audio/${id}/shares`, { ttl_seconds: 3600 })
  const targets = {
    owner,
    link: link && { url: link, headers: {} },
    // A non-browser client gets the audio itself, not the player page.
    share: share && { url: share, headers: { accept: 'audio/wav' } },
  }
  const measured = {}
  for (const [name, target] of Object.entries(targets)) {
    if (!target) continue
    const run = (headers, status) => load({ url: target.url, headers, connections, duration: seconds, expectStatus: [status], requests: [{ setupRequest: asNewListener }] })
    const whole = await run(target.headers, 200)
    const ranged = await run({ ...target.headers, range: RANGE }, 206)
    measured[name] = { whole, ranged }
  }
  const describe = (m) => `${m.whole.rps}/s whole (${((m.whole.rps * size) / 1e6).toFixed(0)} MB/s), ${m.ranged.rps}/s for a 64 KiB range`
  const errors = (m) => m.whole.unexpected + m.ranged.unexpected
  const row = (name, label) => {
    const m = measured[name]
    if (!m) return { id: `downloads.${name}`, label, value: 'n/a (route missing)', floor: null, delta: null, target: null, met: null }
    return {
      id: `downloads.${name}`,
      label,
      value: describe(m) + (errors(m) ? `; ${errors(m)} unexpected statuses ${JSON.stringify({ ...m.whole.statusCodes, ...m.ranged.statusCodes })}` : ''),
      floor: `owner route: ${describe(measured.owner)}`,
      ratio: ratio(m.whole.rps, measured.owner.whole.rps),
      delta: `${ratio(m.whole.rps, measured.owner.whole.rps)}x whole, ${ratio(m.ranged.rps, measured.owner.ranged.rps)}x range`,
      target: null,
      met: null,
    }
  }
  return {
    rows: [
      {
        id: 'downloads.owner',
        label: `Owner download, GET /v1/audio/<id>/content with a token (${(size / 1e6).toFixed(2)} MB)`,
        value: describe(measured.owner),
        floor: null,
        delta: null,
        target: null,
        met: null,
      },
      row('link', 'Signed link download, /d/... (no token)'),
      row('share', 'Share link download, /s/... (no token, Accept: audio/wav)'),
    ],
    raw: { size, measured },
  }
}
