import * as v from 'valibot'
import { describeRoutes, nullable, object, str, time } from '../http/route-doc'

// The account routes read their bodies field by field (read-fields.ts), so these schemas describe
// them for the document; the routes' own checks are the authority (see the README's tables).
const NewUser = v.object({ username: v.string(), role: v.optional(v.string()), password: v.optional(v.string()) })
const UserChange = v.object({ role: v.optional(v.string()), status: v.optional(v.picklist(['active', 'disabled'])) })
const PasswordChange = v.object({ current_password: v.string(), new_password: v.string() })
const InvitePassword = v.object({ password: v.string() })

const user = { type: 'object', properties: { username: str, role: str, status: { enum: ['active', 'disabled'] } } }
const job = { type: 'object', properties: { id: str, state: str } }
const invite = { type: 'object', properties: { invite_url: str, expires_at: time } }
const noStore = { 'Cache-Control': 'no-store' }

export const accountAdminDocs = describeRoutes(
  {
    method: 'get', path: '/admin/users', tag: 'accounts', summary: 'List and search the accounts (with tier and usage), paginated', auth: 'admin', scope: 'admin',
    query: v.object({ search: v.optional(v.string()), limit: v.optional(v.string()), cursor: v.optional(v.string()) }),
    responses: { 200: { description: 'A page of accounts', json: object({ items: { type: 'array', items: user }, cursor: nullable(str) }) } },
    errors: { 400: ['bad_request', 'invalid_cursor', 'unknown_issuer'] },
  },
  {
    method: 'post', path: '/admin/users', tag: 'accounts', summary: 'Create an account, with a password or a one-time invite link', auth: 'admin', scope: 'admin',
    body: { json: NewUser },
    responses: { 201: { description: 'The account (and invite_url when no password was given)', json: { type: 'object', properties: { user, invite_url: str } } } },
    errors: { 400: ['bad_request', 'invalid_username', 'invalid_role', 'weak_password', 'unknown_issuer'], 409: ['username_taken'] },
  },
  {
    method: 'get', path: '/admin/users/:username', tag: 'accounts', summary: 'One account, its tier and usage (ETag for If-Match)', auth: 'admin', scope: 'admin',
    responses: { 200: { description: 'The account', json: object({ user, usage: {} }), headers: { ETag: 'v<version>' } } },
    errors: { 400: ['unknown_issuer'], 404: ['not_found'] },
  },
  {
    method: 'patch', path: '/admin/users/:username', tag: 'accounts', summary: 'Change role or status (If-Match optional); disabling ends every session', auth: 'admin', scope: 'admin',
    body: { json: UserChange },
    responses: { 200: { description: 'The account', json: object({ user }), headers: { ETag: 'v<version>' } } },
    errors: { 400: ['bad_request', 'invalid_role', 'invalid_status', 'unknown_issuer'], 404: ['not_found'], 409: ['own_account'], 412: ['precondition_failed'] },
  },
  {
    method: 'post', path: '/admin/users/:username/invite', tag: 'accounts', summary: 'A new one-time invite link (a reset)', auth: 'admin', scope: 'admin',
    responses: { 200: { description: 'The link', json: invite }, 201: { description: 'The link', json: invite } },
    errors: { 400: ['unknown_issuer'], 404: ['not_found'] },
  },
  {
    method: 'delete', path: '/admin/users/:username', tag: 'accounts', summary: 'Delete an account and all its data, as a background job', auth: 'admin', scope: 'admin', freshAuth: true,
    responses: { 202: { description: 'The job to poll', json: object({ job }), headers: { Location: '/admin/jobs/<id>' } } },
    errors: { 400: ['unknown_issuer'], 404: ['not_found'], 409: ['own_account'] },
  },
  {
    method: 'get', path: '/admin/jobs/:id', tag: 'accounts', summary: "A deletion job's progress", auth: 'admin', scope: 'admin',
    responses: { 200: { description: 'The job', json: object({ job }) } },
    errors: { 404: ['not_found'] },
  },
  {
    method: 'get', path: '/auth/invite/:token', tag: 'accounts', summary: 'An invite: whose, until when (HTML form for browsers)', auth: 'none', anonymousLimit: true,
    responses: { 200: { description: 'The invite', json: object({ username: str, expires_at: time }), media: { 'text/html': { type: 'string' } } } },
    errors: { 404: ['invite_not_found'], 410: ['invite_used', 'invite_expired'] },
  },
  {
    method: 'post', path: '/auth/invite/:token', tag: 'accounts', summary: 'Set the password of an invited account, once', auth: 'none', anonymousLimit: true,
    body: { json: InvitePassword },
    responses: { 200: { description: 'Done', json: object({ username: str, password_set: { const: true } }), media: { 'text/html': { type: 'string' } } } },
    errors: { 400: ['bad_request', 'weak_password', 'invalid_request'], 404: ['invite_not_found'], 410: ['invite_used', 'invite_expired'], 413: ['body_too_large'] },
  },
  {
    method: 'post', path: '/auth/password', tag: 'accounts', summary: 'Change your password (other sessions end)', auth: 'user', freshAuth: true,
    body: { json: PasswordChange },
    responses: { 204: { description: 'Changed', headers: noStore } },
    errors: { 400: ['bad_request', 'weak_password'], 403: ['wrong_password'], 404: ['not_found'], 409: ['password_changed'] },
  },
  {
    method: 'get', path: '/auth/account', tag: 'accounts', summary: 'Your account', auth: 'user',
    responses: { 200: { description: 'The account', json: object({ user }) } },
    errors: { 404: ['not_found'] },
  },
  {
    method: 'get', path: '/auth/sessions', tag: 'accounts', summary: 'Your sessions: created, last used, how issued', auth: 'user',
    responses: { 200: { description: 'The sessions', json: { type: 'object' } } },
  },
  {
    method: 'delete', path: '/auth/sessions/:id', tag: 'accounts', summary: 'End one of your sessions', auth: 'user',
    responses: { 204: { description: 'Ended', headers: noStore } },
    errors: { 404: ['not_found'] },
  },
)
