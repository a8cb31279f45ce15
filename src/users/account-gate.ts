import { migrate } from '../sql/migrations'

/**
 * What the user's Durable Object must know of a directory account to enforce it (the directory,
 * accounts/user-directory.ts, makes it): applied in `version` order, so a late delivery of an older
 * state never undoes a newer one.
 */
export interface AccountSnapshot {
  id: string
  version: number
  status: 'active' | 'disabled'
  role: string
  /** When the role last changed (ms): access tokens carrying the old one are revoked. */
  roleChangedAt: number | null
  /** When the password last changed (ms): sessions begun before it end. */
  passwordChangedAt: number | null
  /** The session that changed it, which stays. */
  passwordChangedIn: string | null
}

/** What the account's Durable Object lets through: everything, nothing for now, nothing ever again. */
export type GateState = 'active' | 'disabled' | 'deleted'

/** What applying a newer account state asks the object to do with the user's tokens and sessions. */
export interface GateChange {
  /** False when the state was not newer than the one applied (a late or repeated delivery). */
  applied: boolean
  /** The account just closed (disabled or deleted): end every session, revoke every token so far. */
  closed: boolean
  /** The account just opened again: its earlier tokens stay revoked, new logins work. */
  reopened: boolean
  /** The role changed: access tokens carrying the old one must go (sessions stay, a refresh gets the new role). */
  roleChanged: boolean
  /** The password changed: every session but `keepSession` ends. */
  passwordChanged: boolean
  keepSession: string | null
}

const NOTHING: GateChange = { applied: false, closed: false, reopened: false, roleChanged: false, passwordChanged: false, keepSession: null }

/**
 * The account's state as its Durable Object enforces it, in that object's SQLite: status (a
 * disabled or deleted account's tokens, sessions, refreshes, syntheses and shares are all refused
 * here, the one place every one of them passes), the role and password change times it last saw,
 * and the directory version they came from. The directory (D1) is the truth; this is its copy,
 * brought up to date by accounts/account-sync.ts and applied strictly in version order, so two
 * admins' changes delivered in the wrong order still leave the state of the later one. Deletion
 * is final: nothing reopens a deleted account's object (its id is never reused).
 * (accounts/account-sync.ts delivers the directory's changes.)
 *
 * An object with no row is not a directory account (a guest of /admin/tokens, an IdP user): open.
 */
export class AccountGate {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'account_gate', [
      `CREATE TABLE IF NOT EXISTS account_gate (
        id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, state TEXT NOT NULL,
        role_changed_at INTEGER, password_changed_at INTEGER)`,
    ])
  }

  get state(): GateState {
    return this.#row()?.state ?? 'active'
  }

  get open(): boolean {
    return this.state === 'active'
  }

  /** Applies the directory's state if it is newer than what this object has seen. */
  apply(s: AccountSnapshot): GateChange {
    const row = this.#row()
    if (row && (row.state === 'deleted' || row.version >= s.version)) return NOTHING
    this.#sql.exec(
      `INSERT INTO account_gate (id, version, state, role_changed_at, password_changed_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, state = excluded.state,
         role_changed_at = excluded.role_changed_at, password_changed_at = excluded.password_changed_at`,
      s.version,
      s.status,
      s.roleChangedAt,
      s.passwordChangedAt,
    )
    // Before the first state it hears of, the object had the account as created: active, unchanged.
    const before = row ?? { state: 'active', role_changed_at: null, password_changed_at: null }
    return {
      applied: true,
      closed: before.state === 'active' && s.status !== 'active',
      reopened: before.state !== 'active' && s.status === 'active',
      roleChanged: s.roleChangedAt !== null && s.roleChangedAt !== before.role_changed_at,
      passwordChanged: s.passwordChangedAt !== null && s.passwordChangedAt !== before.password_changed_at,
      keepSession: s.passwordChangedIn,
    }
  }

  /** The account was deleted: closed for good, whatever version comes later. */
  markDeleted(): boolean {
    const before = this.state
    this.#sql.exec(
      `INSERT INTO account_gate (id, version, state) VALUES (1, 0, 'deleted')
       ON CONFLICT (id) DO UPDATE SET state = 'deleted'`,
    )
    return before !== 'deleted'
  }

  #row() {
    return this.#sql
      .exec<{ version: number; state: GateState; role_changed_at: number | null; password_changed_at: number | null }>(
        'SELECT version, state, role_changed_at, password_changed_at FROM account_gate WHERE id = 1',
      )
      .toArray()[0]
  }
}
