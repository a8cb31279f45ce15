#!/usr/bin/env node
// The typed client in use: synthesize, list, share. Against `npm run dev`:
//   TOKEN=$(npm run -s token -- --sub alice --role free) node scripts/client-example.mjs
// EDGE_URL defaults to http://127.0.0.1:8787. Prints the stored audio id and a share URL.
import { edgeClient } from 'cosyvoice-edge/client'

const token = process.env.TOKEN
if (!token) {
  console.error('set TOKEN (e.g. TOKEN=$(npm run -s token -- --sub alice --role free))')
  process.exit(2)
}
const edge = edgeClient(process.env.EDGE_URL ?? 'http://127.0.0.1:8787', { token })

async function ok(res, what) {
  if (res.ok) return res
  const body = await res.json().catch(() => null)
  throw new Error(`${what}: ${res.status} ${body?.error?.code ?? ''} ${body?.error?.message ?? ''}`)
}

// Synthesize: the audio streams back; the stored copy's id is in X-Audio-Id.
const tts = await ok(await edge.v1.tts.$post({ json: { text: 'Hello from the typed client.', mode: 'sft', speaker: '英文女' } }), 'synthesize')
const audio = await tts.arrayBuffer() // read to the end: the copy is stored once the stream completes
const audioId = tts.headers.get('x-audio-id')
console.log(`synthesized ${audio.byteLength} bytes, stored audio id: ${audioId}`)

// List: your audio, newest first.
const listing = await (await ok(await edge.v1.audio.$get({ query: { limit: '5' } }), 'list')).json()
console.log(`your latest audio: ${listing.items.map((a) => `${a.audio_id} (${a.duration_seconds}s)`).join(', ')}`)

// Share: a link anyone can open for an hour, at most 3 downloads.
const share = await (await ok(await edge.v1.audio[':id'].shares.$post({ param: { id: audioId }, json: { ttl_seconds: 3600, max_downloads: 3 } }), 'share')).json()
console.log(`share URL: ${share.url}`)
