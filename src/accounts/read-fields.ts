import type { Context } from 'hono'
import { badRequest } from '../http/api-error'
import { readJson } from '../http/read-json'

/**
 * A small JSON object body with only the `allowed` fields (a misspelt field is a 400, never
 * silently ignored: `{"stauts": "disabled"}` must not answer 200 and change nothing).
 */
export async function readFields<F extends string>(c: Context, allowed: readonly F[], maxBytes = 4096): Promise<Partial<Record<F, unknown>>> {
  const body = await readJson(c, maxBytes)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`send a JSON object with ${allowed.map((f) => `"${f}"`).join(', ')}`)
  const unknown = Object.keys(body).filter((k) => !(allowed as readonly string[]).includes(k))
  if (unknown.length) throw badRequest(`unknown field ${unknown.map((k) => `"${k.slice(0, 40)}"`).join(', ')}: send only ${allowed.join(', ')}`)
  return body as Partial<Record<F, unknown>>
}
