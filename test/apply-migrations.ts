// Before each test file: the account directory's schema (migrations/) in the test D1, as
// `wrangler d1 migrations apply` would make it. Applying is idempotent (d1_migrations table).
import { applyD1Migrations } from 'cloudflare:test'
import { env } from 'cloudflare:workers'

await applyD1Migrations(env.DB!, env.TEST_MIGRATIONS)
