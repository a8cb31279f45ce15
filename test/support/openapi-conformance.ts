import { Validator, type Schema } from '@cfworker/json-schema'
import { openApiDocument } from '../../src/openapi/openapi-document'

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>
}

const doc = openApiDocument()
/** Each documented operation with its path as a pattern; fixed segments before `{param}` ones. */
const operations = Object.entries(doc.paths)
  .flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      method,
      path,
      pattern: new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      params: (path.match(/\{/g) ?? []).length,
      op: op as Operation,
    })),
  )
  .sort((a, b) => a.params - b.params)

const validators = new WeakMap<object, Validator>()
const validatorOf = (schema: Schema) => {
  let v = validators.get(schema)
  if (!v) {
    v = new Validator(schema, '2020-12', false)
    validators.set(schema, v)
  }
  return v
}

/** What the auth layer answers before any route runs. */
const AUTH_CODES = new Set(['invalid_token', 'insufficient_scope', 'csrf_failed'])

/**
 * Checks a response the Worker gave against the OpenAPI document: its status must be one the
 * route documents and a JSON body must match that status's schema (for an error, its code must
 * be one of those listed). Every test that calls the Worker through test/support/api.ts runs this,
 * so an undocumented status or error code fails the test that provoked it.
 */
export async function checkAgainstOpenApi(method: string, url: string, res: Response): Promise<void> {
  if (method === 'OPTIONS') return // CORS preflights (http/cors.ts) are no operation of the API
  const path = new URL(url).pathname
  const m = method === 'HEAD' ? 'get' : method.toLowerCase()
  const found = operations.find((o) => o.method === m && o.pattern.test(path))
  const where = `${method} ${path} answered ${res.status}`
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  const isJson = /^application\/([a-z.+-]*\+)?json$/.test(type)
  if (!found) {
    // An unknown route: the catch-all 404 (http/error-handler.ts onNotFound), or, under a prefix
    // whose every route needs a user (/v1/, /admin/), the auth refusal that comes before routing.
    // A HEAD answer has no body to read the code from: its status has to do.
    const code = method === 'HEAD' || !isJson ? undefined : String(await codeOf(res))
    if (res.status === 404 && (method === 'HEAD' || code === 'not_found')) return
    if ((res.status === 401 || res.status === 403) && /^\/(v1|admin)\//.test(path) && (method === 'HEAD' || AUTH_CODES.has(code ?? ''))) return
    throw new Error(`${where}, but the OpenAPI document has no ${m.toUpperCase()} operation for this path`)
  }
  const documented = found.op.responses[String(res.status)]
  if (!documented)
    throw new Error(`${where}, a status the OpenAPI document does not list for ${m.toUpperCase()} ${found.path} (it lists ${Object.keys(found.op.responses).join(', ')})`)
  if (method === 'HEAD' || res.status === 204 || res.status === 304 || res.body === null) return
  const content = documented.content ?? {}
  const media = Object.entries(content).find(([t]) => t.split(';')[0]!.trim().toLowerCase() === type)?.[1] ?? (isJson ? content['application/json'] : undefined)
  if (!media) {
    // Error pages for browsers (the share page's HTML 404/410) carry no schema; success bodies must.
    if (res.status >= 400 && type === 'text/html') return
    throw new Error(`${where} with ${type || 'no Content-Type'}, which the document does not list for ${found.path} (it lists ${Object.keys(content).join(', ') || 'no body'})`)
  }
  if (!isJson) return
  const body = await res.clone().json()
  const result = validatorOf(media.schema).validate(body)
  if (!result.valid) {
    const problems = result.errors.map((e) => `${e.instanceLocation}: ${e.error}`).join('; ')
    throw new Error(`${where} with a body that does not match the OpenAPI document: ${problems}\n${JSON.stringify(body).slice(0, 500)}`)
  }
}

async function codeOf(res: Response): Promise<unknown> {
  return ((await res.clone().json()) as { error?: { code?: unknown } }).error?.code
}
