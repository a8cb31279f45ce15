import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../app-env'
import { ApiError } from './api-error'
import { ConfigError } from '../config/config-error'
import { log } from '../log/log'

function errorBody(c: Context<AppEnv>, code: string, message: string) {
  return { error: { code, message, request_id: c.get('requestId') ?? null } }
}

/** Turns every failure into the spec's `{"error":{code,message,request_id}}` JSON. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof ApiError) {
    if (err.internal || err.cause) c.get('logFields').error = { code: err.code, internal: err.internal, cause: describe(err.cause) }
    return c.json(errorBody(c, err.code, err.message), err.status, { ...err.headers, 'Cache-Control': 'no-store' })
  }
  if (err instanceof ConfigError) {
    // Fail closed and say what is missing: an operator must see it, a client learns nothing secret.
    log.error({ request_id: c.get('requestId'), config_error: err.message })
    return c.json(errorBody(c, 'misconfigured', err.message), 500)
  }
  if (err instanceof HTTPException) {
    return c.json(errorBody(c, err.status === 400 ? 'bad_request' : 'http_error', err.message), err.status)
  }
  log.error({ request_id: c.get('requestId'), error: describe(err), stack: (err as Error)?.stack })
  return c.json(errorBody(c, 'internal_error', 'internal error'), 500)
}

export const onNotFound: NotFoundHandler<AppEnv> = (c) => c.json(errorBody(c, 'not_found', 'no such route'), 404)

function describe(e: unknown): string | undefined {
  if (e === undefined) return undefined
  if (e instanceof Error) return `${e.name}${'code' in e ? `(${String((e as { code: unknown }).code)})` : ''}: ${e.message}`
  return String(e)
}
