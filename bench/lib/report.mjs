// The bench's outputs: a table on stdout, bench/results.json and docs/BENCHMARKS.md.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { join } from 'node:path'
import { ROOT } from './processes.mjs'

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const require = createRequire(import.meta.url)
  // The workerd that wrangler dev runs (miniflare's dependency), not any other copy in node_modules.
  const miniflare = createRequire(require.resolve('wrangler/package.json')).resolve('miniflare')
  const workerdPackage = createRequire(miniflare).resolve('workerd/package.json')
  const workerdBin = join(workerdPackage, '..', 'bin', 'workerd')
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    workerd: execFileSync(workerdBin, ['--version'], { encoding: 'utf8' }).trim(),
    workerdPackage: JSON.parse(readFileSync(workerdPackage, 'utf8')).version,
    wrangler: JSON.parse(readFileSync(require.resolve('wrangler/package.json'), 'utf8')).version,
    autocannon: JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')).version,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  }
}

const mark = (met) => (met === true ? 'yes' : met === false ? '**no**' : '')

export function printTable(sections) {
  for (const section of sections) {
    console.log(`\n${section.title}`)
    for (const r of section.rows) {
      console.log(`  ${r.label}\n    ${r.value}${r.delta ? `\n    vs floor: ${r.delta}` : ''}${r.target ? `  [target ${r.target}: ${r.met ? 'met' : 'MISSED'}]` : ''}`)
    }
  }
}

export function writeResults(path, { machine, settings, sections, startedAt, seconds }) {
  writeFileSync(path, `${JSON.stringify({ startedAt, seconds, machine, settings, sections }, null, 2)}\n`)
}

const cell = (s) => (s ?? '').toString().replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function writeMarkdown(path, { machine, settings, sections, startedAt, seconds }) {
  const notes = readFileSync(join(ROOT, 'bench/NOTES.md'), 'utf8').trim()
  const lines = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (bench/run.mjs); edit bench/NOTES.md for the prose at the end. -->',
    '',
    'Is the edge nearly free? Every figure is measured in one run next to its floor (direct to the',
    'origin, bare WebCrypto, the owner route, ...) on loopback, so the ratios carry over between machines',
    'better than the absolute numbers do.',
    '',
    `Run ${startedAt}, took ${Math.round(seconds)} s.`,
    '',
    '## Machine',
    '',
    `- CPU: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB`,
    `- Node ${machine.node}; workerd ${machine.workerd} (npm workerd ${machine.workerdPackage}, run by wrangler ${machine.wrangler}); autocannon ${machine.autocannon}`,
    `- Load average at start: ${machine.loadAverageAtStart.join(', ')} (other work on the machine makes absolute numbers noisy; compare the ratios)`,
    '',
    '## Results',
    '',
  ]
  for (const section of sections) {
    lines.push(`### ${section.title}`, '')
    if (section.error) lines.push(`Failed to run: \`${cell(section.error)}\``, '')
    lines.push('| Row | Measured | Floor | Against the floor | Target | Met |', '|---|---|---|---|---|---|')
    for (const r of section.rows) lines.push(`| ${cell(r.label)} | ${cell(r.value)} | ${cell(r.floor)} | ${cell(r.delta)} | ${cell(r.target)} | ${mark(r.met)} |`)
    lines.push('')
  }
  lines.push(
    '## How it is measured',
    '',
    `- Settings: ${Object.entries(settings).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '- The dev origin (dev/origin.mjs, tone engine, zero delay, edge proof required) runs in its own process;',
    '  the edge (src/index.ts) and a helper Worker (bench/workers/micro.ts) each run under `wrangler dev`',
    '  (workerd, local R2 and Durable Objects in a temporary directory). Load comes from autocannon in the bench process.',
    '- Latency and time to first byte: sequential requests over one keep-alive connection, timed in',
    '  microseconds (autocannon\'s histogram has 1 ms resolution, too coarse for a 2 ms target);',
    '  requests/s: autocannon with several connections.',
    '- Microbenchmarks inside workerd (verification, Durable Object round trips) are timed from outside:',
    '  workerd stops its clocks during computation, so a request doing n operations is timed against one doing none.',
    '- Memory: VmRSS of the workerd process under wrangler, sampled every 20 ms while the client reads the stream as fast as it can.',
    '',
    '## Rerun',
    '',
    '```sh',
    'npm ci',
    'npm run bench        # about 3 minutes on 2 cores; writes bench/results.json and this file',
    '```',
    '',
    notes,
    '',
  )
  writeFileSync(path, lines.join('\n'))
}
