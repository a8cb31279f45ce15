import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * The one error type routes throw. `message` is public; `internal` and `cause` go to the log only.
 * Anything thrown that is not an ApiError is a bug and answers a generic 500.
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode
  readonly code: string
  readonly headers: Record<string, string>
  readonly internal: string | undefined

  constructor(status: ContentfulStatusCode, code: string, message: string, options: { headers?: Record<string, string>; internal?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.headers = options.headers ?? {}
    this.internal = options.internal
  }
}

export const badRequest = (message: string, code = 'bad_request') => new ApiError(400, code, message)
export const notFound = (what = 'resource') => new ApiError(404, 'not_found', `${what} not found`)
/** nginx's 499: the client closed the request; it never sees this, the log does. */
export const clientGone = () => new ApiError(499 as number as ContentfulStatusCode, 'client_closed_request', 'the client went away')

/** The same error with more headers (e.g. the RateLimit fields on a 502 after admission). */
export function withHeaders(error: ApiError, headers: Record<string, string>): ApiError {
  return new ApiError(error.status, error.code, error.message, { headers: { ...headers, ...error.headers }, internal: error.internal, cause: error.cause })
}
