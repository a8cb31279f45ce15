import { expect } from 'vitest'

/**
 * A page of an audit trail once `holds` is true of its items. A request's own entry is written
 * after its response (waitUntil), so a trail may lag the response a moment; one wait for all tests.
 */
export async function trailUntil<T>(read: () => Promise<Response>, holds: (items: T[]) => boolean): Promise<T[]> {
  let items: T[] = []
  await expect
    .poll(
      async () => {
        items = ((await (await read()).json()) as { items: T[] }).items
        return holds(items)
      },
      { interval: 25, timeout: 5000, message: 'the audit trail never showed the awaited entry' },
    )
    .toBe(true)
  return items
}
