import { migrate } from '../sql/migrations'

/** Who a user's Durable Object belongs to, as an admin names them: the token's issuer and `sub`. */
export interface OwnerIdentity {
  issuer: string
  sub: string
}

/**
 * The (issuer, sub) a user's object was named from. The object is named by a one-way hash of them
 * (auth/user-key.ts), so without this row it cannot say whose it is; an anonymous report of a
 * share needs exactly that, to show the admin queue the share's owner in the form admin routes
 * take (`?sub=&iss=`). Recorded by calls that know it (creating a share, an admin's takedown);
 * shares made before this ledger existed show no owner until their owner makes another.
 */
export class OwnerIdentityLedger {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'owner_identity', ['CREATE TABLE IF NOT EXISTS owner_identity (id INTEGER PRIMARY KEY CHECK (id = 1), issuer TEXT NOT NULL, sub TEXT NOT NULL)'])
  }

  record(identity: OwnerIdentity): void {
    this.#sql.exec(
      // The object's name is a hash of exactly these two, so they never change once recorded.
      'INSERT INTO owner_identity (id, issuer, sub) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING',
      identity.issuer,
      identity.sub,
    )
  }

  get(): OwnerIdentity | null {
    return this.#sql.exec<{ issuer: string; sub: string }>('SELECT issuer, sub FROM owner_identity WHERE id = 1').toArray()[0] ?? null
  }
}
