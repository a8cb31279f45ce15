// The dev origin as the bench runs it: its own process (so the load generator and the origin do not
// share an event loop), tone engine (fast, deterministic), zero delay, edge proof required, no logs,
// the preset speakers and [[dev:repeat=N]] (the streaming sections use it).
import { PRESET_SPEAKERS, startOrigin } from '../../dev/origin.mjs'

const origin = await startOrigin({
  port: Number(process.env.BENCH_ORIGIN_PORT),
  engine: 'tone',
  speakers: PRESET_SPEAKERS,
  directives: true,
  secret: process.env.ORIGIN_SECRET,
  log: false,
})
const stop = () => origin.close().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
