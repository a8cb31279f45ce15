import { afterEach, beforeEach, vi } from 'vitest'

/**
 * The Worker's structured log lines (one JSON line per request, from http/request-context.ts) as
 * the tests of this file see them: the Worker runs in the test's isolate, so console.log is ours
 * to watch. Call once at the top of a test file.
 */
export function watchLogLines(): {
  of(requestId: string | null): Record<string, unknown> | undefined
  /** The internal reason a refused request logged (ApiError.internal), e.g. "ERR_ISSUER_MISCONFIGURED: …". */
  reasonOf(requestId: string | null): string | undefined
  errors(): Record<string, unknown>[]
} {
  let lines: Record<string, unknown>[] = []
  const capture =
    (original: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('{')) {
        try {
          lines.push(JSON.parse(args[0]) as Record<string, unknown>)
        } catch {
          // not one of ours
        }
      }
      original(...args)
    }
  beforeEach(() => {
    lines = []
    const log = capture(console.log.bind(console))
    const error = capture(console.error.bind(console))
    vi.spyOn(console, 'log').mockImplementation(log)
    vi.spyOn(console, 'error').mockImplementation(error)
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })
  const of = (requestId: string | null) => lines.find((l) => l.request_id === requestId && 'status' in l)
  return {
    of,
    reasonOf: (requestId) => (of(requestId)?.error as { internal?: string } | undefined)?.internal,
    errors: () => lines.filter((l) => l.level === 'error'),
  }
}
