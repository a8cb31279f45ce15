import type { Env } from '../env'
import type { Principal } from './principal'
import { revokedByCutoff, type RevocationState, type TokenRef } from '../users/revocation-ledger'
import { userObject } from '../users/user-stub'

/** Upper bound on users remembered per isolate, so a flood of distinct users can't grow memory. */
const MAX_ENTRIES = 10_000

interface Entry {
  state: RevocationState
  jtis: ReadonlySet<string>
  until: number
}

/**
 * How every authenticated request is checked against revocations without an extra Durable Object
 * round trip on the hot path.
 *
 * Revocations live in the user's Durable Object (RevocationLedger), the one place where they are
 * exact. Two ways to consult it:
 *
 * 1. Synthesis (the hot path) already makes one call to that object to be admitted
 *    (UserObject.admit). The token's `jti` and `iat` ride along on that call and the object refuses
 *    a revoked token in the same step: exact, and no extra round trip. Routes that do this declare
 *    it with `requireUser({ revocation: 'at-admission' })`.
 * 2. Every other route asks this isolate's copy of the user's revocation state (the cut-off time
 *    and the revoked `jti`s still unexpired), fetched with one call when missing or older than
 *    REVOCATION_CACHE_SECONDS (default 5). Staleness bound: a revocation made through another
 *    isolate reaches this one within that many seconds; made through this isolate (logout, admin
 *    revoke, refresh-token reuse), it applies here at once because the revoker updates the copy.
 *    Setting REVOCATION_CACHE_SECONDS=0 makes every check exact at one call per request.
 *
 * Failing closed: if the object cannot be reached, the request fails (500), it is never admitted.
 */
class RevocationCache {
  readonly #entries = new Map<string, Entry>()

  async isActive(env: Env, user: Principal, ttlMs: number, now = Date.now()): Promise<boolean> {
    let entry = this.#entries.get(user.key)
    if (!entry || entry.until <= now) {
      const state = await userObject(env, user).revocationState()
      entry = this.#remember(user.key, state, now + ttlMs)
    }
    return !isRevoked(entry, user)
  }

  /** Keeps a state just read from the user's object (an API key's lookup brings it: api-key-verify.ts). */
  prime(userKey: string, state: RevocationState, ttlMs: number, now = Date.now()): void {
    this.#remember(userKey, state, now + ttlMs)
  }

  /** Applies a revocation this isolate just made, so the very next request here sees it. */
  noteRevoked(userKey: string, change: { jtis?: readonly string[]; revokedBefore?: number }): void {
    const entry = this.#entries.get(userKey)
    if (!entry) return
    const state: RevocationState = {
      revokedBefore: change.revokedBefore !== undefined ? Math.max(change.revokedBefore, entry.state.revokedBefore ?? 0) : entry.state.revokedBefore,
      jtis: [...entry.state.jtis, ...(change.jtis ?? [])],
    }
    this.#remember(userKey, state, entry.until)
  }

  /** Drops this isolate's copy of a user's revocations (an account opened again): the next check asks. */
  forget(userKey: string): void {
    this.#entries.delete(userKey)
  }

  #remember(userKey: string, state: RevocationState, until: number): Entry {
    if (!this.#entries.has(userKey) && this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
    const entry = { state, jtis: new Set(state.jtis), until }
    this.#entries.set(userKey, entry)
    return entry
  }
}

function isRevoked(entry: Entry, token: TokenRef): boolean {
  if (revokedByCutoff(entry.state.revokedBefore, token)) return true
  return token.jti !== undefined && entry.jtis.has(token.jti)
}

/** The isolate's one cache: module scope lives as long as the isolate. */
export const revocations = new RevocationCache()
