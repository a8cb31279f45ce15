import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { userObject } from '../users/user-stub'
import { log } from '../log/log'

/**
 * Gives every request an id (echoed as X-Request-ID and sent to the origin) and writes one
 * structured log line when it ends; a request that names an `action` (in `logFields`) is also
 * written to the user's audit trail (with `audit_detail`, when the route gives one: e.g. whose object
 * an admin acted on). A client-supplied X-Request-ID is not trusted: ids are ours.
 */
export const requestContext = (): MiddlewareHandler<AppEnv> =>
  async function requestContext(c, next) {
    const started = Date.now()
    const requestId = crypto.randomUUID()
    c.set('requestId', requestId)
    c.set('logFields', {})
    await next()
    c.header('X-Request-ID', requestId)
    const user = c.get('user')
    const fields = c.get('logFields')
    // A 429 changed nothing and a flood of them must stay cheap: the log line is its record.
    if (user && typeof fields.action === 'string' && c.res.status !== 429) {
      // Off the response path: the audit write is one Durable Object call after the response.
      c.executionCtx.waitUntil(
        userObject(c.env, user)
          .recordAudit({
            at: started,
            action: fields.action,
            resource: typeof fields.resource === 'string' ? fields.resource : null,
            status: c.res.status,
            requestId,
            // Whatever a personal API key did names the key (the owner acted through it).
            actor: user.apiKey !== undefined ? `api_key:${user.apiKey}` : null,
            detail: auditDetail(fields.audit_detail),
          })
          .catch((e: unknown) => log.error({ request_id: requestId, audit_error: String(e) })),
      )
    }
    log.info({
      request_id: requestId,
      sub: user?.sub,
      role: user?.role,
      api_key: user?.apiKey,
      method: c.req.method,
      route: c.req.routePath,
      path: redactPath(new URL(c.req.url).pathname),
      status: c.res.status,
      duration_ms: Date.now() - started,
      bytes: Number(c.res.headers.get('content-length') ?? 0) || undefined,
      ...c.get('logFields'),
    })
  }

function auditDetail(value: unknown): Record<string, string | number | boolean | null> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  return value as Record<string, string | number | boolean | null>
}

/** Link tokens, share ids and invite tokens are bearer credentials: they must not land in operator logs. */
export function redactPath(path: string): string {
  return path
    .replace(/^\/(d|s)\/[^/]+/, '/$1/<redacted>')
    .replace(/^(\/v1\/shares\/)[^/]+/, '$1<redacted>')
    .replace(/^(\/auth\/invite\/)[^/]+/, '$1<redacted>')
}
