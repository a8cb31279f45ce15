import type { LimitCode } from '../users/limit-types'

/** Upper bound on remembered users per isolate, so a flood of distinct users can't grow memory. */
const MAX_ENTRIES = 10_000

interface Denial {
  code: LimitCode
  /** Until when this isolate answers with it. */
  until: number
  /** When the object said to come back (Retry-After). */
  retryAt: number
  headers: Record<string, string>
  /** Could clear before `until` (a synthesis ending): forgotten when this isolate settles one. */
  soft: boolean
}

/**
 * Remembers, in this isolate, that the user's Durable Object refused them, so a user hammering
 * past a limit costs no Durable Object call per request. Per user and role: the same user with a
 * bigger tier's token is asked afresh.
 *
 * Two kinds of refusal are remembered (user-limits.ts decides which, and until when):
 * - firm ones, until a reset that cannot come early: the per-minute window (admissions are never
 *   refunded) and a daily quota used up with nothing running. The object would refuse until then.
 * - soft ones, for at most a second (never past the Retry-After the client was given): a
 *   concurrency refusal, or a daily quota full only because of syntheses still running (a failure
 *   is refunded). Syntheses running in other isolates may end sooner; each synthesis this isolate
 *   settles for the user forgets them at once (`forgetSoft`).
 * Nothing here ever admits; admissions happen only in the object.
 */
export class DenyCache {
  readonly #entries = new Map<string, Map<string, Denial>>()

  get(userKey: string, role: string, now: number): Denial | undefined {
    const byRole = this.#entries.get(userKey)
    const denial = byRole?.get(role)
    if (denial && denial.until <= now) {
      byRole!.delete(role)
      if (byRole!.size === 0) this.#entries.delete(userKey)
      return undefined
    }
    return denial
  }

  remember(userKey: string, role: string, denial: Denial): void {
    let byRole = this.#entries.get(userKey)
    if (!byRole) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
      byRole = new Map()
      this.#entries.set(userKey, byRole)
    }
    byRole.set(role, denial)
  }

  /** One of the user's syntheses ended: a slot is free, and a failure may have been refunded. */
  forgetSoft(userKey: string): void {
    const byRole = this.#entries.get(userKey)
    if (!byRole) return
    for (const [role, denial] of byRole) if (denial.soft) byRole.delete(role)
    if (byRole.size === 0) this.#entries.delete(userKey)
  }
}
