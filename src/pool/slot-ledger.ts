import { LEASE_MS } from '../config/leases'
import { migrate } from '../sql/migrations'

export interface Lease {
  ticket: string
  origin: string
  user: string
  grantedAt: number
}

/**
 * The slots in use, one row per running synthesis, in the pool's SQLite storage: the count per
 * origin is what admission checks against `concurrency`, and it survives the object restarting.
 */
export class SlotLedger {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'leases', [
      `CREATE TABLE IF NOT EXISTS leases (
      ticket TEXT PRIMARY KEY, origin TEXT NOT NULL, user TEXT NOT NULL, trial INTEGER NOT NULL,
      granted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`,
      // Half-open trials gave way to canaries (circuit-breaker.ts).
      'ALTER TABLE leases DROP COLUMN trial',
    ])
  }

  grant(lease: Lease, now: number): void {
    this.#sql.exec(
      'INSERT OR REPLACE INTO leases (ticket, origin, user, granted_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      lease.ticket,
      lease.origin,
      lease.user,
      lease.grantedAt,
      now + LEASE_MS,
    )
  }

  /** Removes and returns a lease (undefined if already released or expired). */
  take(ticket: string): Lease | undefined {
    return this.#sql.exec<LeaseRow>('DELETE FROM leases WHERE ticket = ? RETURNING *', ticket).toArray().map(toLease)[0]
  }

  renew(ticket: string, now: number): boolean {
    return this.#sql.exec('UPDATE leases SET expires_at = ? WHERE ticket = ?', now + LEASE_MS, ticket).rowsWritten > 0
  }

  /** Drops the leases of Workers that stopped renewing them. */
  expire(now: number): Lease[] {
    return this.#sql.exec<LeaseRow>('DELETE FROM leases WHERE expires_at <= ? RETURNING *', now).toArray().map(toLease)
  }

  /** Slots in use per origin. */
  inUse(): Map<string, number> {
    const rows = this.#sql.exec<{ origin: string; n: number }>('SELECT origin, COUNT(*) AS n FROM leases GROUP BY origin').toArray()
    return new Map(rows.map((r) => [r.origin, r.n]))
  }

  nextExpiry(): number | null {
    return this.#sql.exec<{ next: number | null }>('SELECT MIN(expires_at) AS next FROM leases').one().next
  }
}

interface LeaseRow extends Record<string, SqlStorageValue> {
  ticket: string
  origin: string
  user: string
  granted_at: number
}

const toLease = (r: LeaseRow): Lease => ({ ticket: r.ticket, origin: r.origin, user: r.user, grantedAt: r.granted_at })
