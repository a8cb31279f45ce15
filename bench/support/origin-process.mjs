// The dev origin as the bench runs it: its own process (so the load generator and the origin do not
// share an event loop), tone engine (fast, deterministic), zero delay, edge proof required, no logs.
// The speaker the bench asks for is declared, and [[dev:…]] directives are on (the streaming rows
// ask for long audio with [[dev:repeat=N]]); an older dev origin ignores both options.
import { startOrigin } from '../../dev/origin.mjs'
import { SPEAKER } from '../lib/synthesis.mjs'

const origin = await startOrigin({
  port: Number(process.env.BENCH_ORIGIN_PORT),
  engine: 'tone',
  secret: process.env.ORIGIN_SECRET,
  speakers: [SPEAKER],
  directives: true,
  log: false,
})
const stop = () => origin.close().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
