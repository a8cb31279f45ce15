// The test bindings: the Worker's (worker-configuration.d.ts, src/env.ts) plus what vitest.config.ts adds.
declare namespace Cloudflare {
  interface Env {
    /** The D1 migrations, applied in test/apply-migrations.ts. */
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[]
    FUZZ_RUNS: string
    FUZZ_SEED: string
  }
}
