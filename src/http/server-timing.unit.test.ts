import { describe, expect, it } from 'vitest'
import { ServerTiming } from './server-timing'

describe('ServerTiming', () => {
  it('lists stages in the order they started, overlapping ones included, with a description', async () => {
    const timing = new ServerTiming()
    timing.add('auth', 0)
    let finishFirst!: () => void
    const slow = timing.time('admission', new Promise<void>((resolve) => (finishFirst = resolve)))
    const fast = timing.time('pool', Promise.resolve(1))
    await fast
    // A stage still running is not reported.
    expect(timing.header()).toMatch(/^auth;dur=0, pool;dur=\d+$/)
    finishFirst()
    await slow
    await timing.time('origin', new Promise((r) => setTimeout(r, 5)), 'first "byte"')
    expect(timing.header()).toMatch(/^auth;dur=0, admission;dur=\d+, pool;dur=\d+, origin;dur=\d+;desc="first byte"$/)
    expect(Object.keys(timing.toJSON())).toEqual(['auth', 'admission', 'pool', 'origin'])
  })

  it('times a stage that throws, and has no header when nothing was timed', async () => {
    const timing = new ServerTiming()
    expect(timing.header()).toBeUndefined()
    await expect(timing.time('admission', Promise.reject(new Error('refused')))).rejects.toThrow('refused')
    expect(timing.header()).toMatch(/^admission;dur=\d+$/)
  })
})
