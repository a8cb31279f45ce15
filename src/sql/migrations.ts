/**
 * One step of a ledger's schema. Step `n` (1-based, its place in the list) moves the ledger from
 * version `n - 1` to `n`: SQL text, or a function for steps that must read before they write.
 */
export type MigrationStep = string | ((sql: SqlStorage) => void)

/**
 * Brings one ledger's tables to the newest version, in place, inside a Durable Object's SQLite.
 *
 * Several ledgers share one object's database, so each keeps its own version in `schema_versions`
 * (one row per ledger) rather than in `PRAGMA user_version`, which the database has only one of.
 * Steps that shipped are never edited: a change is a new step at the end. The first step of every
 * ledger uses `IF NOT EXISTS`, so objects created before versioning (tables present, no version
 * row) pass through it unharmed and continue from version 1.
 *
 * Call it from the ledger's constructor, which runs inside the object's `blockConcurrencyWhile`
 * at construction (or before the first event is delivered), so no request sees a half-migrated
 * schema. Each step and its version bump are written together (the Durable Object commits all
 * writes of one synchronous run atomically), so a crash cannot leave a step applied but unrecorded.
 *
 * @throws Error when the stored version is newer than this code knows (a rollback to older code):
 *   refusing is safer than writing rows an older schema cannot describe.
 */
export function migrate(sql: SqlStorage, ledger: string, steps: readonly MigrationStep[]): void {
  sql.exec('CREATE TABLE IF NOT EXISTS schema_versions (ledger TEXT PRIMARY KEY, version INTEGER NOT NULL)')
  const stored = sql.exec<{ version: number }>('SELECT version FROM schema_versions WHERE ledger = ?', ledger).toArray()[0]
  const from = stored?.version ?? 0
  if (from > steps.length) {
    throw new Error(`${ledger}: stored schema is version ${from}, this code knows ${steps.length}`)
  }
  for (let version = from; version < steps.length; version++) {
    const step = steps[version]!
    if (typeof step === 'string') sql.exec(step)
    else step(sql)
    sql.exec('INSERT INTO schema_versions (ledger, version) VALUES (?, ?) ON CONFLICT (ledger) DO UPDATE SET version = excluded.version', ledger, version + 1)
  }
}

/** The version a ledger is at (0 when it has never run): for tests and operators. */
export function schemaVersion(sql: SqlStorage, ledger: string): number {
  sql.exec('CREATE TABLE IF NOT EXISTS schema_versions (ledger TEXT PRIMARY KEY, version INTEGER NOT NULL)')
  return sql.exec<{ version: number }>('SELECT version FROM schema_versions WHERE ledger = ?', ledger).toArray()[0]?.version ?? 0
}
