// 8. Bundle: what `wrangler deploy` would upload, raw and gzip.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const LIMIT_BYTES = 1024 * 1024

export async function bundle(ctx) {
  // Built once for the run (bench/lib/build.mjs): the very bundle the edge rows ran.
  const { outdir, files } = ctx.edgeBundle
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
        ratio: Math.round((raw / LIMIT_BYTES) * 100) / 100,
        delta: `${(raw / LIMIT_BYTES).toFixed(2)}x of the limit raw, ${(gzip / LIMIT_BYTES).toFixed(2)}x gzip`,
        target: '< 1 MiB',
        met: raw < LIMIT_BYTES,
      },
    ],
    raw: { files, raw, gzip },
  }
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
