import { ApiError, badRequest } from '../http/api-error'
import { insufficientScope } from '../http/bearer-challenge'
import type { AuthConfig } from './auth-config'
import type { Principal } from './principal'

/**
 * The issuer whose user an admin route acts on (`/admin/revoke {sub, issuer}`, `?sub=&iss=`).
 *
 * - It must be the edge's own JWT_ISSUER or a TRUSTED_ISSUERS issuer, spelt exactly: any other
 *   string is 400 `unknown_issuer`, never a silent success on a user who cannot exist (a missing
 *   trailing `/` names other storage: user-key.ts hashes the issuer as written).
 * - Without one: the caller's own issuer, unless `required` (revocation, when the edge trusts other
 *   issuers: which user is meant must not be guessed).
 * - An identity provider's admin (AdminReach `issuer`) reaches only its own issuer's users: 403.
 */
export function adminTargetIssuer(auth: AuthConfig, admin: Principal, given: unknown, options: { field: string; required?: boolean }): string {
  const known = [auth.edge.issuer, ...auth.trustedIssuers.issuers]
  if (given === undefined) {
    if (options.required && known.length > 1)
      throw badRequest(`"${options.field}" is required with "sub": the edge's own ("${auth.edge.issuer}") or a TRUSTED_ISSUERS issuer`, 'issuer_required')
    given = admin.issuer
  }
  if (typeof given !== 'string') throw badRequest(`"${options.field}" must be a string`)
  if (!known.includes(given)) {
    const near = known.find((k) => k.replace(/\/+$/, '') === given.replace(/\/+$/, ''))
    throw new ApiError(
      400,
      'unknown_issuer',
      `"${options.field}" must be the edge's own issuer or a TRUSTED_ISSUERS issuer, spelt exactly${near ? ` (did you mean "${near}"?)` : ''}`,
    )
  }
  if (admin.adminReach !== 'all' && given !== admin.issuer) throw insufficientScope("an identity provider's admin administers only its own issuer's users", 'admin')
  return given
}
