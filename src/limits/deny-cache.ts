import type { LimitCode } from '../users/limit-types'

/** Upper bound on remembered users per isolate, so a flood of distinct users can't grow memory. */
const MAX_ENTRIES = 10_000

interface Denial {
  code: LimitCode
  until: number
  headers: Record<string, string>
}

/**
 * Remembers, in this isolate, that the user's Durable Object refused them until a known reset
 * time, so a user hammering far past a limit costs no Durable Object call per request.
 *
 * Only refusals with a reset that cannot come early are cached: the per-minute window (admissions
 * are never refunded) and a daily quota used up with nothing running (the caller checks; a running
 * synthesis could fail and be refunded). Until then the Durable Object would refuse too, so the
 * cache refuses without asking but never refuses what the object would admit, and never admits.
 * Concurrency and storage refusals can clear at any moment and are not cached.
 */
export class DenyCache {
  readonly #entries = new Map<string, Denial>()

  get(userKey: string, now: number): Denial | undefined {
    const denial = this.#entries.get(userKey)
    if (denial && denial.until <= now) {
      this.#entries.delete(userKey)
      return undefined
    }
    return denial
  }

  remember(userKey: string, code: LimitCode, until: number, headers: Record<string, string>): void {
    if (code !== 'rate_limited' && code !== 'daily_quota') return
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(userKey, { code, until, headers })
  }
}
