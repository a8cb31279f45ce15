import type { Env as WorkerEnv } from '../src/env'

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_ORIGIN_URLS: string
      TEST_MIGRATIONS: import('cloudflare:test').D1Migration[]
      FUZZ_RUNS: string
      FUZZ_SEED: string
    }
    interface GlobalProps {
      mainModule: typeof import('../src/index')
    }
  }
}
