import type { ClientRequestOptions, hc } from 'hono/client'
import type { AppType } from '../src/index'

export type { AppType }
/** The typed client: one property per path segment, one `$get`/`$post`/`$delete` per route. */
export type EdgeClient = ReturnType<typeof hc<AppType>>
export interface EdgeClientOptions extends Omit<ClientRequestOptions, 'headers'> {
  /** A JWT or a `cve_…` API key, sent as `Authorization: Bearer`. */
  token?: string
  headers?: Record<string, string>
}
export declare function edgeClient(baseUrl: string, options?: EdgeClientOptions): EdgeClient
