import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import * as v from 'valibot'
import { badRequest } from './api-error'
import { readJson } from './read-json'

/** A JSON body that may be left out entirely (no body at all means `{}`). */
export async function readOptionalJson(c: Context): Promise<unknown> {
  if (c.req.raw.body === null || c.req.header('content-length') === '0') return {}
  return readJson(c)
}

/** Validates a body against a valibot schema; the first problem is a 400 that says what to fix. */
export function parseBody<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, body)
  if (result.success) return result.output
  const issue = result.issues[0]
  throw badRequest(issue.type === 'strict_object' ? `unknown field "${v.getDotPath(issue)}"` : issue.message, 'invalid_request')
}

/**
 * Middleware: the JSON body, validated by `schema`, as `c.req.valid('json')`. Declaring it on the
 * route also types the body for `hono/client` (the `cosyvoice-edge/client` subpath).
 */
export const jsonBody = <S extends v.GenericSchema>(
  schema: S,
  options: { optional?: boolean } = {},
): MiddlewareHandler<AppEnv, string, { in: { json: v.InferInput<S> }; out: { json: v.InferOutput<S> } }> =>
  async function jsonBody(c, next) {
    c.req.addValidatedData('json', parseBody(schema, options.optional ? await readOptionalJson(c) : await readJson(c)) as object)
    await next()
  }

/**
 * An optional free-text `note` (a share's, a takedown's, a report resolution's): trimmed, at most
 * `maxChars`, no control characters but line breaks; left out or null is null.
 */
export const optionalNote = (maxChars: number) =>
  v.optional(
    v.nullable(
      v.pipe(
        v.string('note must be a string'),
        v.trim(),
        v.maxLength(maxChars, `note is over ${maxChars} characters`),
        v.regex(/^(?:[^\p{Cc}]|\n)*$/u, 'note must not contain control characters other than line breaks'),
      ),
    ),
    null,
  )
