import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { PRESET_SPEAKERS } from './dev/origin.mjs'
import { TEST_SECRETS } from './test/support/test-secrets.ts'
import { authBindings, trustedIssuers } from './test/support/auth-fixtures.ts'
import type { TestSigningKeys } from './test/support/signing-keys'

export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => {
      const origins = inject<string[]>('originUrls')
      const jwksUrl = inject<string>('jwksUrl')
      return {
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            ...TEST_SECRETS,
            // Token service: login users, ES256 signing keys mid-rotation, IdPs on the loopback JWKS server.
            ...authBindings(inject<TestSigningKeys>('signingKeys')),
            TRUSTED_ISSUERS: trustedIssuers(jwksUrl),
            ORIGINS: JSON.stringify([{ url: origins[0], concurrency: 4, speakers: PRESET_SPEAKERS }]),
            // One front end on another origin may call the API with credentials (test/cors.test.ts).
            CORS_ORIGINS: 'https://app.example.com',
            // The account directory's schema, applied to the test D1 by test/apply-migrations.ts.
            TEST_MIGRATIONS: await readD1Migrations('./migrations'),
            // Cases per fuzz property (test/fuzz.test.ts); `npm run fuzz` sets many more.
            FUZZ_RUNS: process.env.FUZZ_RUNS ?? '',
            FUZZ_SEED: process.env.FUZZ_SEED ?? '',
            // Failure tests run one after another against the one primary origin: its breaker must
            // not take it out for every other test (test/origins.test.ts tests the breaker).
            ORIGIN_BREAKER_FAILURES: '1000',
            // Extra tiers for limit tests; free/premium/admin keep their defaults.
            TIERS: JSON.stringify({ burst: { per_minute: 5, concurrency: 50 }, tiny: { storage_bytes: 300_000, per_minute: 100 }, daily3: { per_day: 3 } }),
          },
        },
      }
    }),
  ],
  test: {
    // Three test files at a time on a 2-core machine (vitest's default would be one): most of a
    // file's time is spent waiting on loopback origins and Durable Objects, not on the CPU.
    maxWorkers: 3,
    testTimeout: 30_000,
    // Every request logs a JSON line; show them only for failing tests.
    silent: 'passed-only',
    hookTimeout: 30_000,
    projects: [
      {
        // HTTP in, HTTP out: the Worker in workerd with its bindings, against loopback origins and IdPs.
        extends: true,
        // One workerd per vitest worker, reused by the files it runs (isolate: false), instead of one
        // started per file (2.4 s each). Files still do not share state they could trip on: every test
        // makes its own users, objects and pool names. (Reuse needs @cloudflare/vitest-plugin ≥ 1.1.3:
        // older pools slowed down with every Durable Object made, workers-sdk#15092.)
        test: {
          name: 'worker',
          isolate: false,
          include: ['test/**/*.test.ts'],
          globalSetup: ['./test/global-setup.ts'],
          setupFiles: ['./test/apply-migrations.ts'],
        },
      },
      {
        // Pure functions (src/**/*.unit.test.ts) need no runtime of their own: Node runs them, without
        // starting a workerd per file.
        test: { name: 'unit', include: ['src/**/*.unit.test.ts'], environment: 'node' },
      },
    ],
  },
})
