const MAX_REMEMBERED_USERS = 10_000
/** Users who are newcomers again are forgotten every this many services, not on each one. */
const SWEEP_EVERY = 256

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
  /** Ticket → user, so that membership and removal do not scan every list. */
  readonly #users = new Map<string, string>()
  readonly #tags = new Map<string, number>()
  #virtualTime = 0
  #sinceSweep = 0

  get size(): number {
    return this.#users.size
  }

  has(ticket: string): boolean {
    return this.#users.has(ticket)
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
    this.#users.set(waiter.ticket, waiter.user)
  }

  remove(ticket: string): W | undefined {
    const user = this.#users.get(ticket)
    const list = user === undefined ? undefined : this.#byUser.get(user)
    const i = list?.findIndex((w) => w.ticket === ticket) ?? -1
    if (!list || i < 0) return undefined
    const [waiter] = list.splice(i, 1)
    if (list.length === 0) this.#byUser.delete(user!)
    this.#users.delete(ticket)
    return waiter
  }

  /**
   * Picks the next waiter that `place` can seat (it returns false when nothing fits that waiter,
   * e.g. every free origin is one it must not use), removes it and charges its user a turn.
   */
  next(place: (waiter: W) => boolean): W | undefined {
    const ahead = (a: [string, W[]], b: [string, W[]]) => this.#tag(a[0]) - this.#tag(b[0]) || a[1][0]!.arrival - b[1][0]!.arrival
    // Usually the fairest user's first request fits: found in one pass, without sorting everyone.
    let first: [string, W[]] | undefined
    for (const entry of this.#byUser) if (!first || ahead(entry, first) < 0) first = entry
    const users = first?.[1].some(place) ? [first] : [...this.#byUser.entries()].sort(ahead)
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
    // A user whose tag is not ahead of virtual time is the same as a newcomer (`#tag` reads it as
    // virtual time): forgetting them changes no decision, so it is done now and then, not per turn.
    if (++this.#sinceSweep >= SWEEP_EVERY || this.#tags.size > MAX_REMEMBERED_USERS) {
      this.#sinceSweep = 0
      for (const [u, tag] of this.#tags) if (tag <= this.#virtualTime && !this.#byUser.has(u)) this.#tags.delete(u)
    }
    // Only newcomers served since virtual time last moved are kept ahead of it; bound them anyway.
    if (this.#tags.size > MAX_REMEMBERED_USERS) this.#virtualTime++
  }

  #tag(user: string): number {
    return Math.max(this.#tags.get(user) ?? this.#virtualTime, this.#virtualTime)
  }
}
