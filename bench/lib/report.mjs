// The bench's outputs: every row on stdout, bench/results.json and docs/BENCHMARKS.md. A row is
// {id, label, value, floor, ratio, delta, target, met}: what was measured, against what, the ratio
// of the two, the difference in words, the target and whether it was met (null: no target).
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { join } from 'node:path'
import { ROOT } from './processes.mjs'

/** `uptime`'s load averages (1, 5, 15 min) and how many cores share them. */
export function systemLoad() {
  const [one, five, fifteen] = os.loadavg().map((x) => Math.round(x * 100) / 100)
  return { one, five, fifteen, text: `${one}, ${five}, ${fifteen}` }
}

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const require = createRequire(import.meta.url)
  const wranglerRequire = createRequire(require.resolve('wrangler/package.json'))
  const miniflarePackage = wranglerRequire.resolve('miniflare/package.json')
  const workerdPackage = createRequire(miniflarePackage).resolve('workerd/package.json')
  const workerdBin = join(workerdPackage, '..', 'bin', 'workerd')
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    workerd: execFileSync(workerdBin, ['--version'], { encoding: 'utf8' }).trim(),
    workerdPackage: JSON.parse(readFileSync(workerdPackage, 'utf8')).version,
    miniflare: JSON.parse(readFileSync(miniflarePackage, 'utf8')).version,
    wrangler: JSON.parse(readFileSync(require.resolve('wrangler/package.json'), 'utf8')).version,
    autocannon: JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')).version,
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    loadAtStart: systemLoad(),
    uptimeAtStart: execFileSync('uptime', { encoding: 'utf8' }).trim(),
  }
}

const mark = (met) => (met === true ? 'yes' : met === false ? '**no**' : '')
const ratioText = (r) => (r === null || r === undefined ? '' : `${r}x`)

export function printRows(section) {
  console.log(`\n${section.title}  [load ${section.load?.text ?? '?'}]`)
  if (section.error) console.log(`  FAILED: ${section.error}`)
  for (const r of section.rows) {
    console.log(`  ${r.label}`)
    console.log(`    measured: ${r.value}`)
    if (r.floor) console.log(`    floor:    ${r.floor}`)
    if (r.ratio !== null && r.ratio !== undefined) console.log(`    ratio:    ${ratioText(r.ratio)}`)
    if (r.delta) console.log(`    vs floor: ${r.delta}`)
    if (r.target) console.log(`    target:   ${r.target}: ${r.met ? 'met' : 'MISSED'}`)
  }
}

export function writeResults(path, output) {
  writeFileSync(path, `${JSON.stringify(output, null, 2)}\n`)
}

const cell = (s) => (s ?? '').toString().replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function writeMarkdown(path, { machine, settings, sections, startedAt, seconds, loadAtEnd }) {
  const notes = readFileSync(join(ROOT, 'bench/NOTES.md'), 'utf8').trim()
  const lines = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (bench/run.mjs); edit bench/NOTES.md for the prose at the end. -->',
    '',
    'What production will feel. Every figure is measured in one run next to its floor: above all a',
    'bare passthrough Worker on the same workerd, in front of the same origin (bench/workers/passthrough.ts),',
    'so what the edge adds is told apart from what the runtime adds. Durable Object latency, which a',
    'local run cannot see, is modelled: every call to an object waits a configured round trip',
    '(bench/workers/latency-model.ts). How to read it: "Reading the results" below.',
    '',
    `Run ${startedAt} at commit ${machine.commit}, took ${Math.round(seconds)} s.`,
    '',
    '## Machine',
    '',
    `- CPU: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB`,
    `- Node ${machine.node}; workerd ${machine.workerd} (npm workerd ${machine.workerdPackage}) through Miniflare ${machine.miniflare}'s API (wrangler ${machine.wrangler}'s); autocannon ${machine.autocannon}`,
    `- \`uptime\` at the start: \`${machine.uptimeAtStart}\`; load average at the end: ${loadAtEnd.text}. Each section below gives the load when it started.`,
    '  The machine is shared: everything waits for a core, the floors too, so compare ratios, not absolute numbers.',
    '',
    '## Results',
    '',
  ]
  for (const section of sections) {
    lines.push(`### ${section.title}`, '', `Load average when the section started: ${section.load?.text ?? '?'}.`, '')
    if (section.error) lines.push(`Failed to run: \`${cell(section.error)}\``, '')
    lines.push('| Row | Measured | Floor | Ratio | Against the floor | Target | Met |', '|---|---|---|---|---|---|---|')
    for (const r of section.rows)
      lines.push(`| ${cell(r.label)} | ${cell(r.value)} | ${cell(r.floor)} | ${cell(ratioText(r.ratio))} | ${cell(r.delta)} | ${cell(r.target)} | ${mark(r.met)} |`)
    lines.push('')
  }
  lines.push(
    '## How it is measured',
    '',
    `- Settings: ${Object.entries(settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    "- One workerd process, started through Miniflare's API (wrangler's own Miniflare, as `wrangler dev` runs it, without its",
    '  proxy), runs every Worker on its own loopback socket: `edge` (the bundle of `wrangler deploy --dry-run`), `passthrough`',
    "  (the floor), `edge-model` (this commit's src/ behind the latency model), `edge-before` (the same entry over an older",
    "  commit's src/) and `micro` (verification and capacity helpers). Local R2 and Durable Objects keep SQLite on disk in a",
    '  temporary directory. The dev origin (dev/origin.mjs, tone engine, no delay, edge proof required) runs in its own process.',
    '- First byte and whole request: sequential requests over one keep-alive connection per target, the targets taking',
    '  turns request by request, timed in microseconds by the client (time to the first body byte, and to the end).',
    '- Stage timings come from the edge itself: its `Server-Timing` header (stages before the first byte) and its',
    "  `synthesis_end` log line (the stages after it), which the bench reads from workerd's output.",
    "- Durable Object calls are counted by the latency model's wrapper around the two namespaces (edge-model, edge-before).",
    '- Capacity: one request to the helper Worker sets up the object (its queue filled), streams a line, runs the calls',
    '  (several in flight), streams another; the client times the gap between the two lines.',
    '- Microbenchmarks inside workerd (verification) are timed from outside: workerd stops its clocks during computation,',
    '  so a request doing n operations is timed against one doing none.',
    '- Memory: VmRSS of the workerd process (all Workers share it), sampled every 20 ms while the client reads as fast as it can.',
    '',
    '## Rerun',
    '',
    '```sh',
    'npm ci',
    'npm run bench                       # about 6 minutes on 2 cores; writes bench/results.json and this file',
    'BENCH_QUICK=1 npm run bench         # small counts, to check the bench itself (does not write this file)',
    'BENCH_SECTIONS=1,2 npm run bench    # some sections only (does not write this file)',
    '```',
    '',
    notes,
    '',
  )
  writeFileSync(path, lines.join('\n'))
}
