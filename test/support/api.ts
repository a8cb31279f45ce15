import { exports } from 'cloudflare:workers'
import { checkAgainstOpenApi } from './openapi-conformance'

export interface CallOptions {
  token?: string
  json?: unknown
  body?: BodyInit
  headers?: Record<string, string>
  signal?: AbortSignal
  /** The Worker to send it to, when not the test run's own (an `appWith()` edge with other settings). */
  via?: { fetch(request: Request): Promise<Response> }
}

/** One HTTP request to the Worker under test, as a client would send it. */
export function call(method: string, path: string, o: CallOptions = {}): Promise<Response> {
  const headers = new Headers(o.headers)
  if (o.token) headers.set('authorization', `Bearer ${o.token}`)
  let body = o.body
  if (o.json !== undefined) {
    headers.set('content-type', 'application/json')
    body = JSON.stringify(o.json)
  }
  return checked(new Request(`https://edge.test${path}`, { method, headers, body, signal: o.signal }), o.via)
}

/** Sends a request to the Worker and checks the response against the OpenAPI document. */
export async function checked(request: Request, via: { fetch(request: Request): Promise<Response> } = exports.default): Promise<Response> {
  const res = await via.fetch(request)
  await checkAgainstOpenApi(request.method, request.url, res)
  return res
}

export async function errorOf(res: Response): Promise<{ code: string; message: string; request_id: string }> {
  const body = (await res.json()) as { error: { code: string; message: string; request_id: string } }
  return body.error
}

/** Lists every key in the audio bucket under a prefix (to check nothing partial was stored). */
export async function listKeys(bucket: R2Bucket, prefix = ''): Promise<string[]> {
  const keys: string[] = []
  let cursor: string | undefined
  do {
    const page = await bucket.list({ prefix, cursor })
    keys.push(...page.objects.map((o) => o.key))
    cursor = page.truncated ? page.cursor : undefined
  } while (cursor)
  return keys
}
