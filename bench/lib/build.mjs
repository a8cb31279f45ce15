// What the bench runs: the edge exactly as `wrangler deploy` would upload it, and the bench's own
// Workers bundled the way wrangler bundles (esbuild, workerd conditions, ES modules). The "before"
// edge is the same entry point built against an older commit's src/, extracted with git archive.
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readdirSync, statSync, symlinkSync, copyFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { ROOT } from './processes.mjs'

const require = createRequire(import.meta.url)
const WRANGLER_BIN = require.resolve('wrangler/bin/wrangler.js')
const esbuild = createRequire(require.resolve('wrangler/package.json'))('esbuild')

/** `wrangler deploy --dry-run --outdir`: the production bundle; returns its files and entry. */
export async function buildEdge(outdir) {
  /** @type {Promise<void>} */
  const built = new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER_BIN, 'deploy', '--dry-run', '--outdir', outdir], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`wrangler deploy --dry-run failed:\n${output}`))))
  })
  await built
  const files = readdirSync(outdir, { recursive: true })
    .map(String)
    .filter((f) => /\.(m?js|wasm)$/.test(f) && statSync(join(outdir, f)).isFile())
  return { outdir, files, entry: join(outdir, 'index.js') }
}

/** One bench Worker (a .ts entry) as a single ES module, bundled like wrangler does. */
export async function bundleWorker(entry, outfile, { cwd = ROOT } = {}) {
  await esbuild.build({
    absWorkingDir: cwd,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2024',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:*', 'node:*'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  })
  return outfile
}

/**
 * The bench Workers that wrap the app (edge-model.ts, capacity.ts) over the src/ of commit `ref`:
 * that commit's tree in `dir`, with this checkout's node_modules and bench Workers. Returns the
 * bundles and the commit.
 */
export async function bundleAt(ref, dir) {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim()
  const subject = execFileSync('git', ['log', '-1', '--format=%s', commit], { cwd: ROOT, encoding: 'utf8' }).trim()
  mkdirSync(join(dir, 'bench/workers'), { recursive: true })
  execFileSync('sh', ['-c', `git archive ${commit} src package.json tsconfig.json | tar -x -C "${dir}"`], { cwd: ROOT })
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  const entries = ['edge-model.ts', 'capacity.ts']
  for (const file of [...entries, 'latency-model.ts']) copyFileSync(join(ROOT, 'bench/workers', file), join(dir, 'bench/workers', file))
  const [model, capacity] = await Promise.all(entries.map((e) => bundleWorker(join(dir, 'bench/workers', e), join(dir, e.replace(/\.ts$/, '.js')), { cwd: dir })))
  return { model, capacity, commit, subject }
}
