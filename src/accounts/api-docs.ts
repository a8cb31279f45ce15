import { bool, describeRoutes, int, nullable, object, page, str, time } from '../http/route-doc'
import { InviteBody, NewUserBody, PasswordBody, UserChangeBody, UserListQuery } from './account-bodies'
import { LoginBody, RefreshBody } from './login-bodies'

const tokens = {
  anyOf: [
    object({ access_token: str, token_type: { const: 'Bearer' }, expires_in: int, refresh_token: str }),
    object({ token_type: { const: 'cookie' }, expires_in: int, csrf_token: str }),
  ],
}
const cookies = { 'Set-Cookie': 'with {"cookie": true}: __Host-access, __Host-refresh (HttpOnly) and __Host-csrf' }

/** A directory account as the admin API and GET /auth/account show it (account-view.ts). */
const user = object({
  id: str,
  username: str,
  role: str,
  tier: str,
  status: { enum: ['active', 'disabled'] },
  password_set: bool,
  created_at: time,
  updated_at: time,
  last_login_at: nullable(time),
}) as { type: 'object'; required: string[]; properties: Record<string, Record<string, unknown>> }
const usage = object({ syntheses_today: int, syntheses_running: int, stored_bytes: int })
const job = object({
  id: str,
  kind: { const: 'user.delete' },
  user_id: str,
  username: str,
  state: { enum: ['pending', 'running', 'done'] },
  objects_deleted: int,
  last_error: nullable(str),
  created_at: time,
  updated_at: time,
  finished_at: nullable(time),
})
const session = object({
  id: str,
  current: bool,
  client: { enum: ['cookie', 'bearer'] },
  user_agent: nullable(str),
  created_at: time,
  last_used_at: time,
  expires_at: time,
})

export const accountDocs = describeRoutes(
  {
    method: 'post', path: '/auth/login', tag: 'auth', summary: 'Log in: tokens, or a cookie session with {"cookie": true}', auth: 'none', anonymousLimit: true,
    body: { json: LoginBody },
    responses: { 200: { description: 'Tokens (RFC 6749 §5.1) or a cookie session', json: tokens, headers: cookies } },
    errors: { 401: ['invalid_credentials'], 403: ['account_disabled'], 429: ['too_many_attempts'] },
  },
  {
    method: 'post', path: '/auth/refresh', tag: 'auth', summary: 'Rotate a refresh token (body, or the refresh cookie)', auth: 'none', anonymousLimit: true,
    body: { json: RefreshBody, optional: true },
    responses: { 200: { description: 'New tokens', json: tokens, headers: cookies } },
    errors: { 401: ['invalid_grant'] },
  },
  {
    method: 'post', path: '/auth/logout', tag: 'auth', summary: 'End this session (the refresh cookie alone is enough)', auth: 'user',
    responses: { 204: { description: 'Logged out; cookies cleared' } },
  },
  {
    method: 'post', path: '/auth/logout-all', tag: 'auth', summary: 'End every session and revoke every token of yours', auth: 'user', freshAuth: true,
    responses: { 204: { description: 'Logged out everywhere' } },
  },
  {
    method: 'get', path: '/auth/me', tag: 'auth', summary: 'Who the token says you are', auth: 'user',
    responses: {
      200: {
        description: 'The principal',
        json: object({ sub: str, issuer: str, role: str, scopes: { type: 'array', items: str }, jti: nullable(str), session: nullable(str), api_key: nullable(str), issued_at: nullable(time), auth_time: nullable(time), expires_at: time }),
      },
    },
  },
  // --- the account directory (accounts/): the caller's own account, invites, the admin API ---
  {
    method: 'get', path: '/auth/account', tag: 'accounts', summary: 'Your account in the directory', auth: 'user',
    responses: { 200: { description: 'The account', json: object({ user: user }) } },
    errors: { 404: ['not_found'] },
  },
  {
    method: 'post', path: '/auth/password', tag: 'accounts', summary: 'Change your password: every other session ends', auth: 'user', freshAuth: true,
    body: { json: PasswordBody },
    responses: { 204: { description: 'Changed' } },
    errors: { 400: ['weak_password'], 403: ['wrong_password'], 404: ['not_found'], 409: ['password_changed'] },
  },
  {
    method: 'get', path: '/auth/sessions', tag: 'accounts', summary: 'Your login sessions that can still be refreshed', auth: 'user',
    responses: { 200: { description: 'Newest first', json: object({ items: { type: 'array', items: session } }) } },
  },
  {
    method: 'delete', path: '/auth/sessions/:id', tag: 'accounts', summary: 'End one of your sessions at once', auth: 'user',
    responses: { 204: { description: 'Ended: its refresh token and access tokens stop working' } },
    errors: { 404: ['not_found'] },
  },
  {
    method: 'get', path: '/auth/invite/:token', tag: 'accounts', summary: 'Whose invite this is (a browser gets the form that sets the password)', auth: 'none', anonymousLimit: true,
    responses: { 200: { description: 'The invite', json: object({ username: str, expires_at: time }), media: { 'text/html': { type: 'string' } } } },
    errors: { 404: ['invite_not_found'], 410: ['invite_expired', 'invite_used'] },
  },
  {
    method: 'post', path: '/auth/invite/:token', tag: 'accounts', summary: 'Set the password with a one-time invite (JSON, or the page\'s form)', auth: 'none', anonymousLimit: true,
    body: { json: InviteBody },
    responses: { 200: { description: 'Set; the invite is spent', json: object({ username: str, password_set: { const: true } }), media: { 'text/html': { type: 'string' } } } },
    errors: { 400: ['weak_password'], 404: ['invite_not_found'], 410: ['invite_expired', 'invite_used'] },
  },
  {
    method: 'get', path: '/admin/users', tag: 'accounts', summary: 'Users in name order, with tier and usage', auth: 'admin', scope: 'admin',
    query: UserListQuery,
    responses: { 200: { description: 'One page', json: page({ ...user, required: [...user.required, 'usage'], properties: { ...user.properties, usage } }) } },
    errors: { 400: ['bad_request', 'invalid_cursor'] },
  },
  {
    method: 'post', path: '/admin/users', tag: 'accounts', summary: 'Create a user, with a password or a one-time invite link', auth: 'admin', scope: 'admin',
    body: { json: NewUserBody },
    responses: { 201: { description: 'Created', json: object({ user, invite_url: str, invite_expires_at: time }, ['invite_url', 'invite_expires_at']), headers: { Location: 'the user', ETag: 'its version' } } },
    errors: { 400: ['invalid_role', 'invalid_username', 'weak_password'], 409: ['username_taken'] },
  },
  {
    method: 'get', path: '/admin/users/:username', tag: 'accounts', summary: 'One user (any case or Unicode form of the name)', auth: 'admin', scope: 'admin',
    responses: { 200: { description: 'The user and their usage', json: object({ user, usage }), headers: { ETag: 'its version, for If-Match' } } },
    errors: { 404: ['not_found'] },
  },
  {
    method: 'patch', path: '/admin/users/:username', tag: 'accounts', summary: 'Change role and/or status (If-Match refuses a stale edit)', auth: 'admin', scope: 'admin',
    body: { json: UserChangeBody },
    responses: { 200: { description: 'Changed', json: object({ user }), headers: { ETag: 'its new version' } } },
    errors: { 400: ['invalid_role'], 404: ['not_found'], 409: ['own_account'], 412: ['precondition_failed'] },
  },
  {
    method: 'post', path: '/admin/users/:username/invite', tag: 'accounts', summary: 'A new one-time invite link (a reset)', auth: 'admin', scope: 'admin',
    responses: { 201: { description: 'The link', json: object({ user, invite_url: str, invite_expires_at: time }) } },
    errors: { 404: ['not_found'] },
  },
  {
    method: 'post', path: '/admin/users/:username/revoke', tag: 'accounts', summary: 'Sign the user out everywhere: every token and session issued up to now stops working', auth: 'admin', scope: 'admin',
    responses: { 200: { description: 'Revoked; the account stays usable', json: object({ user, revoked: object({ issued_before: time }) }) } },
    errors: { 404: ['not_found'] },
  },
  {
    method: 'delete', path: '/admin/users/:username', tag: 'accounts', summary: 'Delete a user and, in the background, all their data', auth: 'admin', scope: 'admin', freshAuth: true,
    responses: { 202: { description: 'Closed at once; the job erasing the data', json: object({ job }), headers: { Location: '/admin/jobs/<id>' } } },
    errors: { 404: ['not_found'], 409: ['own_account'] },
  },
  {
    method: 'get', path: '/admin/jobs/:id', tag: 'accounts', summary: 'A deletion job: its state and progress', auth: 'admin', scope: 'admin',
    responses: { 200: { description: 'The job', json: object({ job }) } },
    errors: { 404: ['not_found'] },
  },
)
