import type { Context } from 'hono'
import type { AppEnv } from '../app-env'
import { userKey } from '../auth/user-key'
import { getConfig } from '../config/app-config'
import { badRequest } from '../http/api-error'
import type { OwnerIdentity } from '../users/owner-identity'

const MAX_SUB_CHARS = 512

/** The user an admin names, and the key their R2 prefix and Durable Object derive from. */
export interface TargetOwner {
  identity: OwnerIdentity
  key: string
}

/**
 * The owner named in a query, as the other admin routes name a user (`/admin/audit`,
 * `/admin/voices/<id>/publish`): `?sub=` (required here: an admin never acts on their own
 * objects by leaving it out) and `?iss=`, default the edge's own issuer.
 */
export function ownerFromQuery(c: Context<AppEnv>): Promise<TargetOwner> {
  return targetOwner(c, { sub: c.req.query('sub'), iss: c.req.query('iss') })
}

/** The same in a JSON body: `owner: {sub, iss?}`, or `owner: "<sub>"` for a user of the edge's own logins. */
export function targetOwner(c: Context<AppEnv>, owner: string | { sub?: unknown; iss?: unknown } | undefined): Promise<TargetOwner> {
  const { sub, iss } = typeof owner === 'string' ? { sub: owner, iss: undefined } : (owner ?? {})
  if (typeof sub !== 'string' || !sub || sub.length > MAX_SUB_CHARS) throw badRequest(`name the owner: sub must be 1 to ${MAX_SUB_CHARS} characters`, 'invalid_request')
  if (iss !== undefined && (typeof iss !== 'string' || !iss || iss.length > MAX_SUB_CHARS)) throw badRequest('iss must be an issuer', 'invalid_request')
  const issuer = iss ?? getConfig(c.env).jwt.issuer
  return userKey(issuer, sub).then((key) => ({ identity: { issuer, sub }, key }))
}
