// 6. Worker memory while streaming long syntheses: workerd's resident memory sampled while the
// edge relays (and records to R2) 1, 5 and 10 minutes of audio. Flat means the 10-minute peak is no
// higher than the 5-minute one: memory does not grow with the length of the audio.
import http from 'node:http'
import { rssBytes } from '../lib/processes.mjs'
import { SPEAKER } from '../lib/synthesis.mjs'

const SAMPLE_MS = 20
/** The tone engine speaks 0.1 s per character, up to 200 characters (20 s) per segment. */
const SEGMENT = 'a'.repeat(200)
/** CosyVoice3's marker, so that a faithful dev origin speaks the text (the part after it). */
const PROMPT = 'You are a helpful assistant.<|endofprompt|>'
const MiB = 1024 * 1024

function streamOnce(url, token, minutes, pid) {
  const text = `${PROMPT}[[dev:repeat=${minutes * 3}]]${SEGMENT}`
  const body = JSON.stringify({ text, mode: 'sft', speaker: SPEAKER })
  const start = rssBytes(pid) ?? 0
  let peak = start
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid) ?? 0)), SAMPLE_MS)
  const began = Date.now()
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let bytes = 0
        res.on('data', (chunk) => (bytes += chunk.length))
        res.on('end', async () => {
          // The recording finishes (last R2 part, settle) just after the last byte: keep sampling a moment.
          await new Promise((r) => setTimeout(r, 500))
          clearInterval(timer)
          if (res.statusCode !== 200) return reject(new Error(`${minutes}-minute synthesis answered ${res.statusCode}`))
          resolve({ minutes, status: res.statusCode, bytes, seconds: (Date.now() - began) / 1000, start, peak, end: rssBytes(pid) })
        })
      },
    )
    req.on('error', (e) => {
      clearInterval(timer)
      reject(e)
    })
    req.end(body)
  })
}

export async function streamingMemory(ctx) {
  const pid = ctx.runtime.workerdPid()
  if (!pid) throw new Error('could not find the workerd process')
  const runs = []
  for (const minutes of [1, 5, 10]) runs.push(await streamOnce(`${ctx.urls.edge}/v1/tts`, ctx.tokens.admin, minutes, pid))
  const [one, five, ten] = runs
  // The same 10 minutes through the auth-only Worker (no R2 recording): where the memory goes.
  const proxied = await streamOnce(`${ctx.urls.micro}/proxy-tts`, ctx.tokens.admin, 10, pid)
  const mib = (b) => `${(b / MiB).toFixed(1)} MiB`
  const growth = (r) => r.peak - r.start
  return {
    rows: [
      {
        id: 'streaming.memory',
        label: 'workerd RSS while streaming a 10-minute synthesis (28.8 MB of audio, relayed and recorded to R2)',
        value: `start ${mib(ten.start)}, peak ${mib(ten.peak)} (+${mib(growth(ten))}), end ${mib(ten.end)}; ${ten.seconds.toFixed(1)} s`,
        floor: `5 min: +${mib(growth(five))} at peak; 1 min: +${mib(growth(one))}`,
        ratio: null,
        delta: `10 min peak − 5 min peak growth: ${mib(growth(ten) - growth(five))}`,
        target: 'flat (no growth with length)',
        // 5 more minutes is 14.4 MB more audio: growth with length would show up as several MiB.
        met: growth(ten) - growth(five) < 4 * MiB,
      },
      {
        id: 'streaming.memory_relay_only',
        label: 'workerd RSS while a Worker with auth only relays the same 10 minutes (no R2 recording)',
        value: `start ${mib(proxied.start)}, peak ${mib(proxied.peak)} (+${mib(growth(proxied))}), end ${mib(proxied.end)}; ${proxied.seconds.toFixed(1)} s`,
        floor: `edge, everything on: +${mib(growth(ten))}`,
        ratio: null,
        delta: `peak growth ${mib(growth(proxied))} relaying only vs ${mib(growth(ten))} relaying and recording`,
        target: null,
        met: null,
      },
    ],
    raw: { edge: runs, relayOnly: proxied },
  }
}
