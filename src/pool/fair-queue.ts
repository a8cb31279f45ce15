const MAX_REMEMBERED_USERS = 10_000

/** A request waiting for a slot. */
export interface Waiting {
  ticket: string
  user: string
  /** Origins this request must not be given (it already failed there). */
  exclude: ReadonlySet<string>
  /** Arrival order, for FIFO within a user and between users of equal standing. */
  arrival: number
}

/**
 * Who gets the next free slot: start-time fair queueing by user, so one user with 50 waiting
 * requests and another with 1 alternate instead of the second waiting behind all 50.
 *
 * Each user carries a tag: the virtual time of their next turn. Serving a user advances their tag by
 * one; a user who arrives (or comes back after a pause) starts at the current virtual time, so
 * nobody banks credit while idle or pays for past use when others were not competing. The waiting
 * user with the smallest tag goes first, ties by arrival. Requests granted without waiting are
 * served through the same accounting, so a user already running is behind one who is not.
 *
 * Lives in memory: the waiters are pending RPC calls, which do not outlive the object anyway.
 */
export class FairQueue<W extends Waiting> {
  readonly #byUser = new Map<string, W[]>()
  readonly #tags = new Map<string, number>()
  #virtualTime = 0
  #size = 0

  get size(): number {
    return this.#size
  }

  get users(): number {
    return this.#byUser.size
  }

  all(): W[] {
    return [...this.#byUser.values()].flat()
  }

  countFor(user: string): number {
    return this.#byUser.get(user)?.length ?? 0
  }

  push(waiter: W): void {
    const list = this.#byUser.get(waiter.user)
    if (list) list.push(waiter)
    else this.#byUser.set(waiter.user, [waiter])
    this.#size++
  }

  remove(ticket: string): W | undefined {
    for (const [user, list] of this.#byUser) {
      const i = list.findIndex((w) => w.ticket === ticket)
      if (i < 0) continue
      const [waiter] = list.splice(i, 1)
      if (list.length === 0) this.#byUser.delete(user)
      this.#size--
      return waiter
    }
    return undefined
  }

  /**
   * Picks the next waiter that `place` can seat (it returns false when nothing fits that waiter,
   * e.g. every free origin is one it must not use), removes it and charges its user a turn.
   */
  next(place: (waiter: W) => boolean): W | undefined {
    const users = [...this.#byUser.entries()].sort(([a, la], [b, lb]) => this.#tag(a) - this.#tag(b) || la[0]!.arrival - lb[0]!.arrival)
    for (const [, list] of users) {
      const waiter = list.find(place)
      if (!waiter) continue
      this.remove(waiter.ticket)
      this.served(waiter.user)
      return waiter
    }
    return undefined
  }

  /**
   * The waiters in the order `next` would seat them if every slot fitted everyone: what a waiter's
   * place in line means (origins a request must avoid can only move it later).
   */
  order(): W[] {
    const lists = new Map([...this.#byUser].map(([u, l]) => [u, [...l]]))
    const tags = new Map([...lists.keys()].map((u) => [u, this.#tag(u)]))
    const out: W[] = []
    while (lists.size) {
      const [user, list] = [...lists].sort(([a, la], [b, lb]) => tags.get(a)! - tags.get(b)! || la[0]!.arrival - lb[0]!.arrival)[0]!
      out.push(list.shift()!)
      tags.set(user, tags.get(user)! + 1)
      if (!list.length) lists.delete(user)
    }
    return out
  }

  /** Charges a user one turn (also for a slot granted without waiting). */
  served(user: string): void {
    const start = this.#tag(user)
    this.#virtualTime = start
    this.#tags.set(user, start + 1)
    // Only newcomers served since virtual time last moved are kept ahead of it; bound them anyway.
    if (this.#tags.size > MAX_REMEMBERED_USERS) this.#virtualTime++
    // A user whose tag is not ahead of virtual time is the same as a newcomer: forget them.
    for (const [u, tag] of this.#tags) if (tag <= this.#virtualTime && !this.#byUser.has(u)) this.#tags.delete(u)
  }

  #tag(user: string): number {
    return Math.max(this.#tags.get(user) ?? this.#virtualTime, this.#virtualTime)
  }
}
