import * as v from 'valibot'
import { parseBody } from '../http/request-body'
import { SCOPES, type Scope } from '../auth/principal'

/** Life of a key when `ttl_seconds` is left out: 90 days. Every key expires. */
export const DEFAULT_KEY_TTL_SECONDS = 90 * 86_400
/** Longest life of a key: one year (a key that must outlive it is made again, on purpose). */
export const MAX_KEY_TTL_SECONDS = 365 * 86_400
const MIN_KEY_TTL_SECONDS = 60
const MAX_NAME_LENGTH = 100

export interface ApiKeyRequest {
  name: string
  /** The scopes asked for, or undefined for all of the creator's. */
  scopes: Scope[] | undefined
  ttlSeconds: number
}

const NAME_MESSAGE = `"name" must be 1 to ${MAX_NAME_LENGTH} characters, without control characters`
const SCOPE_MESSAGE = `"scope" must be space-separated scope names: ${SCOPES.join(', ')}`
const TTL_MESSAGE = `"ttl_seconds" must be a whole number from ${MIN_KEY_TTL_SECONDS} to ${MAX_KEY_TTL_SECONDS}`

/** `POST /v1/api-keys` body: `{name, scope?, ttl_seconds?}`. */
export const ApiKeyBody = v.object(
  {
    // Control characters would let a name forge lines in a log or a terminal listing.
    name: v.pipe(v.string(NAME_MESSAGE), v.trim(), v.nonEmpty(NAME_MESSAGE), v.maxLength(MAX_NAME_LENGTH, NAME_MESSAGE), v.regex(/^\P{Cc}*$/u, NAME_MESSAGE)),
    scope: v.optional(
      v.pipe(
        v.string(SCOPE_MESSAGE),
        v.check(
          (s) =>
            s.split(' ').some(Boolean) &&
            s
              .split(' ')
              .filter(Boolean)
              .every((w) => (SCOPES as readonly string[]).includes(w)),
          SCOPE_MESSAGE,
        ),
        v.description(`space-separated, of ${SCOPES.join(', ')}; default all of the caller's`),
      ),
    ),
    ttl_seconds: v.optional(
      v.pipe(v.number(TTL_MESSAGE), v.integer(TTL_MESSAGE), v.minValue(MIN_KEY_TTL_SECONDS, TTL_MESSAGE), v.maxValue(MAX_KEY_TTL_SECONDS, TTL_MESSAGE)),
      DEFAULT_KEY_TTL_SECONDS,
    ),
  },
  'send {"name": "...", "scope"?: "tts audio", "ttl_seconds"?: 86400}',
)

/** `POST /v1/api-keys` body: `{name, scope?, ttl_seconds?}`. 400 naming the field otherwise. */
export function parseApiKeyRequest(body: unknown): ApiKeyRequest {
  const { name, scope, ttl_seconds: ttlSeconds } = parseBody(ApiKeyBody, body)
  const scopes = scope === undefined ? undefined : [...new Set(scope.split(' ').filter(Boolean) as Scope[])]
  return { name, scopes, ttlSeconds }
}
