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

let arrivals = 0
const arriving = (user: string, exclude: string[] = []): Waiting => ({ ticket: `t${arrivals}`, user, exclude: new Set(exclude), arrival: arrivals++ })
const any = () => true

describe('FairQueue.next', () => {
  it('alternates users: A with 5 waiting and B with 1 are served A, B, A, A, A, A', () => {
    const q = new FairQueue<Waiting>()
    for (let i = 0; i < 5; i++) q.push(arriving('A'))
    q.push(arriving('B'))
    expect(Array.from({ length: 6 }, () => q.next(any)!.user)).toEqual(['A', 'B', 'A', 'A', 'A', 'A'])
    expect(q.size).toBe(0)
    expect(q.next(any)).toBeUndefined()
  })

  it('passes over a user whose waiters fit no free origin, to the next fairest', () => {
    const q = new FairQueue<Waiting>()
    q.push(arriving('A', ['gpu-1']))
    q.push(arriving('B'))
    const fitsGpu1 = (w: Waiting) => !w.exclude.has('gpu-1')
    expect(q.next(fitsGpu1)!.user).toBe('B')
    expect(q.next(fitsGpu1)).toBeUndefined()
    expect(q.next(any)!.user).toBe('A')
  })

  it('knows and removes waiters by ticket', () => {
    const q = new FairQueue<Waiting>()
    const a = arriving('A')
    const b = arriving('A')
    q.push(a)
    q.push(b)
    expect(q.has(a.ticket)).toBe(true)
    expect(q.remove(a.ticket)).toBe(a)
    expect(q.has(a.ticket)).toBe(false)
    expect(q.remove(a.ticket)).toBeUndefined()
    expect(q.size).toBe(1)
    expect(q.all()).toEqual([b])
  })

  it('keeps the same order over thousands of users, with forgotten newcomers swept now and then', () => {
    const q = new FairQueue<Waiting>()
    // 3000 one-off users served without waiting, then a heavy user and a light one.
    for (let i = 0; i < 3000; i++) q.served(`once-${i}`)
    for (let i = 0; i < 3; i++) q.push(arriving('heavy'))
    q.served('heavy')
    q.push(arriving('light'))
    expect(Array.from({ length: 4 }, () => q.next(any)!.user)).toEqual(['light', 'heavy', 'heavy', 'heavy'])
  })
})
