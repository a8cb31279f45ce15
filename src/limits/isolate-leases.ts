/** Upper bound on users tracked per isolate, so a flood of distinct users can't grow memory. */
const MAX_USERS = 10_000
/** The longest a request waits on another's admission before it looks again. */
const LOOK_AGAIN_MS = 1000

interface Held {
  /** Reservation id → when its lease lapses in the user's object unless renewed. */
  leases: Map<string, number>
  /** The RateLimit headers of the latest admission, for the refusals answered here. */
  headers: Record<string, string>
}

/**
 * What this isolate knows for certain about a user's concurrency, without asking their Durable
 * Object: the syntheses it admitted and has not settled (each a lease this isolate keeps renewing,
 * so the object counts it too), and the admissions it is waiting on.
 *
 * While this isolate alone holds as many syntheses as the tier allows at once, the object would
 * refuse any further one for `concurrency`, so it is refused here. That is exact in both ways: a
 * lease stops counting here only once the object has settled it (or when it lapses, as it does
 * there), so nothing is refused that the object would admit, and nothing is ever admitted here.
 *
 * And while admissions already in flight could fill the last slots, a further request waits for
 * their answers instead of asking too: a flood from one client becomes one question at a time.
 */
export class IsolateLeases {
  readonly #held = new Map<string, Held>()
  readonly #asking = new Map<string, Set<Promise<unknown>>>()

  /** Leases held here for the user that have not lapsed, and when the first of them would lapse. */
  held(user: string, now: number): { count: number; nextLapse: number | null; headers: Record<string, string> } {
    const held = this.#held.get(user)
    if (!held) return { count: 0, nextLapse: null, headers: {} }
    let nextLapse: number | null = null
    for (const [reservation, lapse] of held.leases) {
      if (lapse <= now) held.leases.delete(reservation)
      else nextLapse = nextLapse === null ? lapse : Math.min(nextLapse, lapse)
    }
    if (held.leases.size === 0) this.#held.delete(user)
    return { count: held.leases.size, nextLapse, headers: held.headers }
  }

  /** Admissions of the user this isolate is waiting on. */
  asking(user: string): number {
    return this.#asking.get(user)?.size ?? 0
  }

  /**
   * Resolves when one of the user's admissions in flight has been answered (however), or after a
   * second at most: a call forgotten meanwhile (its client left) will never answer, and the caller
   * looks again.
   */
  async answered(user: string): Promise<void> {
    const asking = this.#asking.get(user)
    if (!asking?.size) return
    let timer: ReturnType<typeof setTimeout> | null = null
    const lookAgain = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, LOOK_AGAIN_MS)
    })
    await Promise.race([lookAgain, ...[...asking].map((p) => p.catch(() => {}))])
    clearTimeout(timer)
  }

  /** Registers an admission call in flight until it settles. */
  ask<T>(user: string, call: Promise<T>): Promise<T> {
    let asking = this.#asking.get(user)
    if (!asking) {
      asking = new Set()
      this.#asking.set(user, asking)
    }
    const entry: Promise<T> = call.finally(() => {
      asking.delete(entry)
      if (asking.size === 0 && this.#asking.get(user) === asking) this.#asking.delete(user)
    })
    asking.add(entry)
    return entry
  }

  /** An admission call whose answer will never be read here (its client left): no longer waited on. */
  forget(user: string, call: Promise<unknown>): void {
    const asking = this.#asking.get(user)
    if (!asking?.delete(call)) return
    if (asking.size === 0) this.#asking.delete(user)
  }

  hold(user: string, reservation: string, lapse: number, headers: Record<string, string>): void {
    let held = this.#held.get(user)
    if (!held) {
      if (this.#held.size >= MAX_USERS) this.#held.delete(this.#held.keys().next().value!)
      held = { leases: new Map(), headers }
      this.#held.set(user, held)
    }
    held.leases.set(reservation, lapse)
    held.headers = headers
  }

  renewed(user: string, reservation: string, lapse: number): void {
    const leases = this.#held.get(user)?.leases
    if (leases?.has(reservation)) leases.set(reservation, lapse)
  }

  /** The object has settled the lease (or it is gone): it no longer counts. */
  release(user: string, reservation: string): void {
    const held = this.#held.get(user)
    if (!held) return
    held.leases.delete(reservation)
    if (held.leases.size === 0) this.#held.delete(user)
  }
}
