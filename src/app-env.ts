import type { Env } from './env'
import type { Principal } from './auth/principal'
import type { ServerTiming } from './http/server-timing'

/** The Hono type of the app: bindings plus what middleware sets for routes. */
export interface AppEnv {
  Bindings: Env
  Variables: {
    requestId: string
    user: Principal
    /** Extra fields for this request's log line (action, resource, error…). */
    logFields: Record<string, unknown>
    /** Stages timed for the Server-Timing header, on routes that use serverTiming(). */
    timing: ServerTiming
  }
}
