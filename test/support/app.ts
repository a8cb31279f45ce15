import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import app from '../../src/index'

/**
 * The Worker over the test bindings with some of them changed (or removed, with `undefined`),
 * called the way the runtime calls it: every request gets a real ExecutionContext, and `settled()`
 * waits for the waitUntil work those requests registered (settling quota, freeing slots, audit
 * writes), failing the test if any of it failed. A hand-made `{ waitUntil() {} }` would drop it.
 */
export function appWith(overrides: Record<string, unknown> = {}) {
  const bindings = { ...env, ...overrides } as Env
  const contexts: ExecutionContext[] = []
  return {
    env: bindings,
    fetch(request: Request): Promise<Response> {
      const ctx = createExecutionContext()
      contexts.push(ctx)
      return Promise.resolve(app.fetch(request, bindings, ctx))
    },
    /** Waits for the waitUntil work of every request so far (call it once their bodies are read). */
    async settled(): Promise<void> {
      await Promise.all(contexts.splice(0).map((ctx) => waitOnExecutionContext(ctx)))
    },
  }
}
