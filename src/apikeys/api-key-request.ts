import { SCOPES, type Scope } from '../auth/principal'
import { badRequest } from '../http/api-error'

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

/** `POST /v1/api-keys` body: `{name, scope?, ttl_seconds?}`. 400 naming the field otherwise. */
export function parseApiKeyRequest(body: unknown): ApiKeyRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('send {"name": "...", "scope"?: "tts audio", "ttl_seconds"?: 86400}')
  const { name, scope, ttl_seconds: ttl } = body as Record<string, unknown>
  // Control characters would let a name forge lines in a log or a terminal listing.
  if (typeof name !== 'string' || !name.trim() || name.length > MAX_NAME_LENGTH || /\p{Cc}/u.test(name))
    throw badRequest(`"name" must be 1 to ${MAX_NAME_LENGTH} characters, without control characters`)
  let scopes: Scope[] | undefined
  if (scope !== undefined) {
    const words = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : null
    if (!words?.length || words.some((w) => !(SCOPES as readonly string[]).includes(w)))
      throw badRequest(`"scope" must be space-separated scope names: ${SCOPES.join(', ')}`)
    scopes = [...new Set(words as Scope[])]
  }
  const ttlSeconds = ttl === undefined ? DEFAULT_KEY_TTL_SECONDS : ttl
  if (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds < MIN_KEY_TTL_SECONDS || ttlSeconds > MAX_KEY_TTL_SECONDS)
    throw badRequest(`"ttl_seconds" must be a whole number from ${MIN_KEY_TTL_SECONDS} to ${MAX_KEY_TTL_SECONDS}`)
  return { name: name.trim(), scopes, ttlSeconds }
}
