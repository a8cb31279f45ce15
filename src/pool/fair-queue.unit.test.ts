import { describe, expect, it } from 'vitest'
import { FairQueue, type Waiting } from './fair-queue'

const waiter = (ticket: string, user: string, arrival: number): Waiting => ({ ticket, user, arrival, exclude: new Set() })

describe('FairQueue.order (the place in line GET /v1/queue reports)', () => {
  it('is the order next() seats them: users alternate, so a newcomer is not behind a backlog', () => {
    const q = new FairQueue<Waiting>()
    q.push(waiter('a1', 'a', 0))
    q.push(waiter('a2', 'a', 1))
    q.push(waiter('a3', 'a', 2))
    q.push(waiter('b1', 'b', 3))
    const order = q.order().map((w) => w.ticket)
    expect(order).toEqual(['a1', 'b1', 'a2', 'a3'])
    // And it is what next() then does, without order() having changed anything.
    const seated: string[] = []
    for (let w = q.next(() => true); w; w = q.next(() => true)) seated.push(w.ticket)
    expect(seated).toEqual(order)
  })

  it('counts a user already served as behind one who was not', () => {
    const q = new FairQueue<Waiting>()
    q.served('a') // a runs one synthesis without waiting
    q.push(waiter('a1', 'a', 0))
    q.push(waiter('b1', 'b', 1))
    expect(q.order().map((w) => w.ticket)).toEqual(['b1', 'a1'])
  })
})
