import { describe, expect, it } from 'vitest'
import { FairQueue, type Waiting } from './fair-queue'

let arrivals = 0
const waiter = (user: string, exclude: string[] = []): Waiting => ({ ticket: `t${arrivals}`, user, exclude: new Set(exclude), arrival: arrivals++ })
const any = () => true

describe('FairQueue', () => {
  it('alternates users: A with 5 waiting and B with 1 are served A, B, A, A, A, A', () => {
    const q = new FairQueue<Waiting>()
    for (let i = 0; i < 5; i++) q.push(waiter('A'))
    q.push(waiter('B'))
    expect(Array.from({ length: 6 }, () => q.next(any)!.user)).toEqual(['A', 'B', 'A', 'A', 'A', 'A'])
    expect(q.size).toBe(0)
    expect(q.next(any)).toBeUndefined()
  })

  it('passes over a user whose waiters fit no free origin, to the next fairest', () => {
    const q = new FairQueue<Waiting>()
    q.push(waiter('A', ['gpu-1']))
    q.push(waiter('B'))
    const fitsGpu1 = (w: Waiting) => !w.exclude.has('gpu-1')
    expect(q.next(fitsGpu1)!.user).toBe('B')
    expect(q.next(fitsGpu1)).toBeUndefined()
    expect(q.next(any)!.user).toBe('A')
  })

  it('knows and removes waiters by ticket', () => {
    const q = new FairQueue<Waiting>()
    const a = waiter('A')
    const b = waiter('A')
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
    for (let i = 0; i < 3; i++) q.push(waiter('heavy'))
    q.served('heavy')
    q.push(waiter('light'))
    expect(Array.from({ length: 4 }, () => q.next(any)!.user)).toEqual(['light', 'heavy', 'heavy', 'heavy'])
  })
})
