import * as v from 'valibot'
import { listingQuerySchema } from '../http/listing-query'
import { USER_PAGE_MAX } from './user-directory'
import { MAX_PASSWORD_CHARS } from './username.mjs'

/**
 * The bodies of the account routes, as valibot schemas: the shape is checked here (a wrong type or
 * an unknown field is 400 `invalid_request`, a misspelt `stauts` never silently ignored); what a
 * name, role or password must be is the routes' to say, with its own code (`invalid_username`,
 * `invalid_role`, `weak_password`), since it depends on TIERS and on the username rules.
 */
const SEND_USER = 'send {"username": "...", "role": "...", "password"?: "..."}'
const SEND_CHANGE = 'send {"role"?: "...", "status"?: "active" | "disabled"}'
const SEND_PASSWORD = 'send {"current_password": "...", "new_password": "..."}'

const password = (message: string) => v.pipe(v.string(message), v.maxLength(MAX_PASSWORD_CHARS * 4, 'the password is too long'))

/** `POST /admin/users`: without `password`, the answer carries a one-time invite link. */
export const NewUserBody = v.strictObject(
  {
    username: v.pipe(v.string(SEND_USER), v.description('letters, digits and . _ @ -, at most 64; unique ignoring case and Unicode form')),
    role: v.pipe(v.string(SEND_USER), v.description('a tier of TIERS')),
    password: v.optional(v.pipe(password(SEND_USER), v.description('at least 8 characters; leave out for an invite link'))),
  },
  SEND_USER,
)

/** `PATCH /admin/users/<username>`. */
export const UserChangeBody = v.strictObject(
  {
    role: v.optional(v.pipe(v.string(SEND_CHANGE), v.description('a tier of TIERS'))),
    status: v.optional(v.picklist(['active', 'disabled'], '"status" must be "active" or "disabled"')),
  },
  SEND_CHANGE,
)

/** `POST /auth/invite/<token>` (as JSON; the invite page posts the same field as a form). */
export const InviteBody = v.strictObject({ password: v.pipe(password('send {"password": "..."}'), v.description('at least 8 characters')) }, 'send {"password": "..."}')

/** `POST /auth/password`. */
export const PasswordBody = v.strictObject(
  {
    current_password: v.pipe(v.string(SEND_PASSWORD), v.nonEmpty(SEND_PASSWORD), v.maxLength(1024, SEND_PASSWORD)),
    new_password: v.pipe(password(SEND_PASSWORD), v.description('at least 8 characters')),
  },
  SEND_PASSWORD,
)

/** `GET /admin/users`: a listing, searchable by any part of a name (the schema the document shows). */
export const UserListQuery = v.object({
  ...listingQuerySchema(USER_PAGE_MAX).entries,
  search: v.optional(v.pipe(v.string(), v.maxLength(64), v.description('part of a username, in any case or Unicode form'))),
})
