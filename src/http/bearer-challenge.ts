import { ApiError } from './api-error'

const REALM = 'cosyvoice-edge'

/** RFC 6750 §3: the challenge a 401 or 403 carries. */
function bearerChallenge(error: 'invalid_token' | 'insufficient_scope', description: string, scope?: string): string {
  const desc = description.replace(/["\\]/g, '')
  return `Bearer realm="${REALM}", error="${error}", error_description="${desc}"${scope ? `, scope="${scope}"` : ''}`
}

export function invalidToken(description: string, options: { internal?: string; cause?: unknown } = {}): ApiError {
  return new ApiError(401, 'invalid_token', description, {
    headers: { 'WWW-Authenticate': bearerChallenge('invalid_token', description) },
    ...options,
  })
}

export function insufficientScope(description: string, scope?: string): ApiError {
  return new ApiError(403, 'insufficient_scope', description, {
    headers: { 'WWW-Authenticate': bearerChallenge('insufficient_scope', description, scope) },
  })
}
