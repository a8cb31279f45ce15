import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { parseTiers } from '../src/config/tiers'
import { OriginPool } from '../src/pool/origin-pool'
import { schemaVersion } from '../src/sql/migrations'
import { UserObject } from '../src/users/user-object'

/**
 * The tables each Durable Object created at construction before its ledgers were versioned, as the
 * code wrote them (the oldest layout still in use: refresh tokens without `spent_at`, breakers
 * without `users`, the first `share_sessions` table). No `schema_versions` table: that is what
 * "unversioned" means.
 */
const UNVERSIONED_USER_OBJECT = `
  CREATE TABLE admissions (at INTEGER NOT NULL);
  CREATE INDEX admissions_at ON admissions (at);
  CREATE TABLE leases (id TEXT PRIMARY KEY, request_id TEXT, admitted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  CREATE TABLE daily (day INTEGER PRIMARY KEY, succeeded INTEGER NOT NULL);
  CREATE TABLE stored (key TEXT PRIMARY KEY, bytes INTEGER NOT NULL);
  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, action TEXT NOT NULL, resource TEXT,
    status INTEGER NOT NULL, request_id TEXT, actor TEXT, detail TEXT);
  CREATE TABLE revoked_jtis (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
  CREATE TABLE revoked_before (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
  CREATE TABLE sessions (id TEXT PRIMARY KEY, sub TEXT NOT NULL, auth_time INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE refresh_tokens (hash TEXT PRIMARY KEY, session TEXT NOT NULL, spent INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX refresh_tokens_session ON refresh_tokens (session);
  CREATE TABLE session_access (jti TEXT PRIMARY KEY, session TEXT NOT NULL, expires_at INTEGER NOT NULL);
  CREATE INDEX session_access_session ON session_access (session);
  CREATE TABLE login_attempts (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
  CREATE TABLE shares (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, audio_id TEXT NOT NULL,
    audio_key TEXT NOT NULL, etag TEXT NOT NULL, size INTEGER NOT NULL, created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL, max_downloads INTEGER, downloads INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER, note TEXT);
  CREATE INDEX shares_by_audio ON shares (audio_id);
  CREATE TABLE share_sessions (share_id TEXT NOT NULL, client TEXT NOT NULL, started_at INTEGER NOT NULL, pieces INTEGER NOT NULL, PRIMARY KEY (share_id, client));
`

const UNVERSIONED_ORIGIN_POOL = `
  CREATE TABLE leases (
    ticket TEXT PRIMARY KEY, origin TEXT NOT NULL, user TEXT NOT NULL, trial INTEGER NOT NULL,
    granted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  CREATE TABLE breakers (
    origin TEXT PRIMARY KEY, state TEXT NOT NULL, failures INTEGER NOT NULL,
    opened_at INTEGER, probe_at INTEGER);
  CREATE TABLE samples (id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, ttfb_ms INTEGER NOT NULL, duration_ms INTEGER NOT NULL);
  CREATE INDEX samples_origin ON samples (origin, id);
  CREATE TABLE errors (id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, at INTEGER NOT NULL, code TEXT NOT NULL, detail TEXT);
  CREATE INDEX errors_origin ON errors (origin, id);
  CREATE TABLE counts (origin TEXT PRIMARY KEY, succeeded INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE policy (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
`

/** The ledgers whose tables existed before versioning (later ones are created fresh by their step 1). */
const USER_LEDGERS = ['usage', 'audit', 'revocations', 'sessions', 'login_attempts', 'shares']
const POOL_LEDGERS = ['leases', 'breakers', 'origin_stats', 'pool_policy']
const free = parseTiers(undefined).free!

/** Every ledger's version, as a new object of the same class records it: what an upgrade must reach. */
function allVersions(sql: SqlStorage): Record<string, number> {
  return Object.fromEntries(
    sql
      .exec<{ ledger: string; version: number }>('SELECT ledger, version FROM schema_versions ORDER BY ledger')
      .toArray()
      .map((r) => [r.ledger, r.version]),
  )
}

async function newestVersions(namespace: DurableObjectNamespace<UserObject> | DurableObjectNamespace<OriginPool>): Promise<Record<string, number>> {
  return runInDurableObject(namespace.get(namespace.idFromName(`migrations-fresh-${crypto.randomUUID()}`)), (_instance, state) => allVersions(state.storage.sql))
}

/** Empties an object's SQLite database (what the running instance created), then lays down `schema`. */
function replaceSchema(sql: SqlStorage, schema: string) {
  const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray()
  for (const { name } of tables) sql.exec(`DROP TABLE "${name}"`)
  sql.exec(schema)
}

const count = (sql: SqlStorage, table: string) => sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n

describe('Durable Object schemas are versioned', () => {
  it('a new user object records a version for every ledger', async () => {
    const fresh = await newestVersions(env.USERS)
    expect(Object.keys(fresh)).toEqual(expect.arrayContaining(USER_LEDGERS))
    for (const version of Object.values(fresh)) expect(version).toBeGreaterThanOrEqual(1)
  })

  it('a user object holding the unversioned schema, with rows, upgrades in place and keeps every row', async () => {
    const newest = await newestVersions(env.USERS)
    const stub = env.USERS.get(env.USERS.idFromName(`migrations-old-${crypto.randomUUID()}`))
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql
      const now = Date.now()
      replaceSchema(sql, UNVERSIONED_USER_OBJECT)
      sql.exec('INSERT INTO admissions (at) VALUES (?), (?)', now - 1000, now - 2000)
      sql.exec('INSERT INTO daily (day, succeeded) VALUES (?, 7)', Math.floor(now / 86_400_000))
      sql.exec("INSERT INTO stored (key, bytes) VALUES ('users/k/audio/a1.wav', 1234)")
      sql.exec("INSERT INTO audit (at, action, resource, status, request_id) VALUES (?, 'tts', 'a1', 200, 'r-1')", now - 500)
      sql.exec("INSERT INTO revoked_jtis (jti, expires_at) VALUES ('jti-revoked', ?)", now + 3_600_000)
      sql.exec("INSERT INTO sessions (id, sub, auth_time, expires_at) VALUES ('s1', 'alice', ?, ?)", Math.floor(now / 1000), now + 86_400_000)
      sql.exec("INSERT INTO refresh_tokens (hash, session) VALUES ('h1', 's1')")
      sql.exec("INSERT INTO login_attempts (id, at) VALUES ('attempt-1', ?)", now - 100)
      sql.exec(
        "INSERT INTO shares (id, audio_id, audio_key, etag, size, created_at, expires_at, note) VALUES ('sh1', 'a1', 'users/k/audio/a1.wav', 'e1', 1234, ?, ?, 'kept')",
        now - 100,
        now + 3_600_000,
      )
      sql.exec("INSERT INTO share_sessions (share_id, client, started_at, pieces) VALUES ('sh1', 'c', ?, 1)", now)
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'schema_versions'").one().n).toBe(0)

      // What the runtime does when the object next wakes up on the new code.
      const upgraded = new UserObject(state, env)

      expect(allVersions(sql)).toEqual(newest)
      const usage = upgraded.usage(free)
      expect(usage.minute.used).toBe(2)
      expect(usage.day.used).toBe(7)
      expect(usage.storage.used).toBe(1234)
      expect(upgraded.listAudit(10).entries).toMatchObject([{ action: 'tts', resource: 'a1', status: 200, requestId: 'r-1' }])
      expect(upgraded.revocationState().jtis).toContain('jti-revoked')
      expect(upgraded.listShares(10).shares).toMatchObject([{ shareId: 'sh1', audioId: 'a1', note: 'kept', downloads: 0 }])
      // The old failure is the username's, from any client (login_attempts step 2).
      expect(sql.exec('SELECT id, bucket FROM login_attempts').toArray()).toEqual([{ id: 'attempt-1', bucket: 'untrusted' }])
      // The sessions ledger's later steps added spent_at and issued_as: the old refresh token rotates with them.
      const rotated = upgraded.rotateRefreshToken('h1', 'h2', { jti: 'jti-new', expiresAt: now + 60_000 }, 'body')
      expect(rotated).toMatchObject({ ok: true, session: 's1', sub: 'alice' })
      expect(sql.exec<{ spent_at: number | null }>("SELECT spent_at FROM refresh_tokens WHERE hash = 'h1'").one().spent_at).toBeGreaterThanOrEqual(now)
      // The shares ledger's first step replaces the first download-session layout (minutes of state).
      expect(sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE name IN ('share_sessions', 'download_sessions')").toArray()).toEqual([{ name: 'download_sessions' }])

      // Waking up again changes nothing.
      const before = sql.exec('SELECT * FROM schema_versions ORDER BY ledger').toArray()
      new UserObject(state, env)
      expect(sql.exec('SELECT * FROM schema_versions ORDER BY ledger').toArray()).toEqual(before)
      expect(count(sql, 'audit')).toBe(1)
      expect(count(sql, 'refresh_tokens')).toBe(2)
    })
  })

  it('an unversioned object that already had the later columns (added by the old construction checks) upgrades too', async () => {
    const newest = await newestVersions(env.USERS)
    const stub = env.USERS.get(env.USERS.idFromName(`migrations-later-${crypto.randomUUID()}`))
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql
      replaceSchema(sql, `${UNVERSIONED_USER_OBJECT}\nALTER TABLE refresh_tokens ADD COLUMN spent_at INTEGER;`)
      sql.exec("INSERT INTO sessions (id, sub, auth_time, expires_at) VALUES ('s1', 'bob', 1, ?)", Date.now() + 60_000)
      sql.exec("INSERT INTO refresh_tokens (hash, session, spent, spent_at) VALUES ('h1', 's1', 1, 42)")
      new UserObject(state, env)
      expect(schemaVersion(sql, 'sessions')).toBe(newest.sessions)
      expect(sql.exec('SELECT hash, spent, spent_at FROM refresh_tokens').toArray()).toEqual([{ hash: 'h1', spent: 1, spent_at: 42 }])
    })
  })

  it('the origin pool holding the unversioned schema, with rows, upgrades in place and keeps every row', async () => {
    const newest = await newestVersions(env.ORIGIN_POOL)
    expect(Object.keys(newest)).toEqual(expect.arrayContaining(POOL_LEDGERS))
    const stub = env.ORIGIN_POOL.get(env.ORIGIN_POOL.idFromName(`migrations-pool-${crypto.randomUUID()}`))
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql
      const now = Date.now()
      const url = 'http://127.0.0.1:9'
      // A policy as the pool stored it before canaries (the pool waits for a current one: origin-pool.ts).
      const policy = {
        origins: [{ url, name: null, concurrency: 2, weight: 1 }],
        queuePerUser: 5,
        queueMax: 50,
        queueTimeoutMs: 1000,
        breakerFailures: 3,
        breakerCooldownMs: 60_000,
      }
      replaceSchema(sql, UNVERSIONED_ORIGIN_POOL)
      sql.exec("INSERT INTO leases (ticket, origin, user, trial, granted_at, expires_at) VALUES ('t1', ?, 'u1', 0, ?, ?)", url, now, now + 90_000)
      sql.exec("INSERT INTO breakers (origin, state, failures, opened_at, probe_at) VALUES (?, 'closed', 2, NULL, NULL)", url)
      sql.exec('INSERT INTO samples (origin, ttfb_ms, duration_ms) VALUES (?, 40, 900)', url)
      sql.exec("INSERT INTO errors (origin, at, code, detail) VALUES (?, ?, 'origin_error', 'boom')", url, now)
      sql.exec('INSERT INTO counts (origin, succeeded, failed) VALUES (?, 5, 1)', url)
      sql.exec('INSERT INTO policy (id, json) VALUES (1, ?)', JSON.stringify(policy))

      new OriginPool(state, env)

      expect(allVersions(sql)).toEqual(newest)
      const columns = (table: string) =>
        sql
          .exec<{ name: string }>(`PRAGMA table_info(${table})`)
          .toArray()
          .map((c) => c.name)
      // The lease is still held (its half-open `trial` flag is gone with half-open trials).
      expect(sql.exec('SELECT ticket, origin, user FROM leases').toArray()).toEqual([{ ticket: 't1', origin: url, user: 'u1' }])
      expect(columns('leases')).not.toContain('trial')
      // The run of failures is kept; the breaker learnt a reason column (none for this run).
      expect(sql.exec('SELECT origin, state, failures, reason FROM breakers').toArray()).toEqual([{ origin: url, state: 'closed', failures: 2, reason: null }])
      expect(sql.exec('SELECT origin, ttfb_ms, duration_ms FROM samples').toArray()).toEqual([{ origin: url, ttfb_ms: 40, duration_ms: 900 }])
      expect(sql.exec('SELECT origin, code, detail FROM errors').toArray()).toEqual([{ origin: url, code: 'origin_error', detail: 'boom' }])
      expect(sql.exec('SELECT origin, succeeded, failed FROM counts').toArray()).toEqual([{ origin: url, succeeded: 5, failed: 1 }])
      expect(sql.exec<{ json: string }>('SELECT json FROM policy').one().json).toBe(JSON.stringify(policy))
    })
  })

  it('an object whose stored schema is newer than the code (a rollback) refuses to start rather than write rows it cannot describe', async () => {
    const stub = env.USERS.get(env.USERS.idFromName(`migrations-rollback-${crypto.randomUUID()}`))
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE schema_versions SET version = 99 WHERE ledger = 'audit'")
      expect(() => new UserObject(state, env)).toThrow('audit: stored schema is version 99, this code knows 1')
    })
  })
})
