import type { Context } from 'hono'
import * as v from 'valibot'
import type { AppEnv } from '../app-env'
import { adminTargetIssuer } from './admin-reach'
import { getAuthConfig } from './auth-config'
import { userKey } from './user-key'
import { MAX_SUB_CHARS } from './verify-token'
import { badRequest } from '../http/api-error'
import type { OwnerIdentity } from '../users/owner-identity'

/** `?sub=&iss=` as the API description shows it (ownerFromQuery below is what reads it). */
export const TargetUserQuery = v.object({
  sub: v.pipe(v.string(), v.nonEmpty(), v.maxLength(MAX_SUB_CHARS), v.description("the user's sub")),
  iss: v.optional(v.pipe(v.string(), v.description("the user's issuer: the edge's own or a trusted one, spelt exactly (default: the admin's own)"))),
})

/** The user an admin names, and the key their R2 prefix and Durable Object derive from. */
export interface TargetOwner {
  identity: OwnerIdentity
  key: string
}

/**
 * The user an admin route names in its query (`/admin/audit`, `/admin/api-keys`,
 * `/admin/takedowns`, `/admin/voices/<id>/publish`): `?sub=` (required: an admin never acts on
 * their own objects by leaving it out) and `?iss=`, by the rules of admin-reach.ts: the edge's own
 * issuer or a TRUSTED_ISSUERS one, spelt exactly, default the admin's own; an identity provider's
 * admin reaches only its own issuer's users.
 */
export function ownerFromQuery(c: Context<AppEnv>): Promise<TargetOwner> {
  // A query's mistakes are `bad_request`, as every query parameter's; a body's are `invalid_request`.
  return targetOwner(c, { sub: c.req.query('sub'), iss: c.req.query('iss') }, 'iss', 'bad_request')
}

/** The same in a JSON body: `owner: {sub, iss?}`, or `owner: "<sub>"` for a user of the admin's own issuer. */
export async function targetOwner(
  c: Context<AppEnv>,
  owner: string | { sub?: unknown; iss?: unknown } | undefined,
  issField = 'owner.iss',
  code = 'invalid_request',
): Promise<TargetOwner> {
  const { sub, iss } = typeof owner === 'string' ? { sub: owner, iss: undefined } : (owner ?? {})
  if (!v.is(TargetUserQuery.entries.sub, sub)) throw badRequest(`name the owner: sub must be 1 to ${MAX_SUB_CHARS} characters`, code)
  const issuer = adminTargetIssuer(await getAuthConfig(c.env), c.get('user'), iss, { field: issField })
  return { identity: { issuer, sub }, key: await userKey(issuer, sub) }
}
