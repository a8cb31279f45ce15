// 6. Bundle: what `wrangler deploy` would upload, raw and gzip.
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { ROOT } from '../lib/processes.mjs'

const LIMIT_BYTES = 1024 * 1024

export async function bundle(ctx) {
  const outdir = join(ctx.tmp, 'bundle')
  const wrangler = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js')
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', outdir], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('exit', (code) => (code === 0 ? resolve(undefined) : reject(new Error(`wrangler deploy --dry-run failed:\n${output}`))))
  })
  const files = readdirSync(outdir, { recursive: true })
    .map(String)
    .filter((f) => /\.(m?js|wasm)$/.test(f) && statSync(join(outdir, f)).isFile())
  const contents = Buffer.concat(files.map((f) => readFileSync(join(outdir, f))))
  const raw = contents.length
  const gzip = gzipSync(contents).length
  return {
    rows: [
      {
        id: 'bundle.size',
        label: `Bundle (wrangler deploy --dry-run: ${files.join(', ')})`,
        value: `${kib(raw)} raw, ${kib(gzip)} gzip`,
        floor: 'limit 1 MiB',
        delta: `${(raw / LIMIT_BYTES).toFixed(2)}x of the limit raw, ${(gzip / LIMIT_BYTES).toFixed(2)}x gzip`,
        target: '< 1 MiB',
        met: raw < LIMIT_BYTES,
      },
    ],
    raw: { files, raw, gzip },
  }
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
