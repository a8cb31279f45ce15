import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'

/**
 * Stage durations of one request, for the `Server-Timing` response header (W3C Server Timing):
 * `auth;dur=1, admission;dur=31, pool;dur=30, origin;dur=812;desc="first byte"`.
 *
 * The Workers runtime advances its clock only at I/O (a Spectre mitigation), so every duration is
 * whole milliseconds of waiting on something: a stage that only computes reads 0. Stages that run
 * in parallel (admission and pool) are each timed from their own start; they overlap.
 *
 * A header can only carry what happened before the response started. Stages after it (committing
 * the recording to R2, settling the user's and the pool's slots) are timed with the same object and
 * written to the request's log line instead: HTTP trailers would be the place, but a Worker cannot
 * send them.
 */
export class ServerTiming {
  /** In the order the stages started; `ms` is set when one ends. */
  readonly #entries: { name: string; ms?: number; desc?: string }[] = []
  /** When the request reached the route's first middleware. */
  readonly startedAt = Date.now()

  /** Records a stage that took `ms`. A name is an RFC 7230 token: letters, digits, `-`, `_`. */
  add(name: string, ms: number, desc?: string): void {
    this.#entries.push({ name, ms: Math.max(0, ms), desc })
  }

  /** Awaits `work`, recording how long it took as stage `name` (also when it throws). */
  async time<T>(name: string, work: Promise<T>, desc?: string): Promise<T> {
    const started = Date.now()
    const entry: { name: string; ms?: number; desc?: string } = { name, desc }
    this.#entries.push(entry)
    try {
      return await work
    } finally {
      entry.ms = Date.now() - started
    }
  }

  /** The finished stages as milliseconds by name, for a log line. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.#done().map((e) => [e.name, e.ms]))
  }

  /** The header value, or undefined when nothing was timed. */
  header(): string | undefined {
    const done = this.#done()
    if (done.length === 0) return undefined
    return done.map((e) => `${e.name};dur=${e.ms}${e.desc ? `;desc="${e.desc.replace(/["\\]/g, '')}"` : ''}`).join(', ')
  }

  #done(): { name: string; ms: number; desc?: string }[] {
    return this.#entries.filter((e): e is { name: string; ms: number; desc?: string } => e.ms !== undefined)
  }
}

/**
 * Gives the route a `timing` (stages are added by the handler) and sends what it timed as the
 * `Server-Timing` header, on refusals too: a 429 shows how long its admission took.
 */
export const serverTiming = (): MiddlewareHandler<AppEnv> =>
  async function serverTiming(c, next) {
    const timing = new ServerTiming()
    c.set('timing', timing)
    await next()
    const header = timing.header()
    if (header) c.header('Server-Timing', header)
  }
