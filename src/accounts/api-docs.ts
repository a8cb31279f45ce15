import { describeRoutes, int, nullable, object, str, time } from '../http/route-doc'
import { LoginBody, RefreshBody } from './login-bodies'

const tokens = {
  anyOf: [
    object({ access_token: str, token_type: { const: 'Bearer' }, expires_in: int, refresh_token: str }),
    object({ token_type: { const: 'cookie' }, expires_in: int, csrf_token: str }),
  ],
}
const cookies = { 'Set-Cookie': 'with {"cookie": true}: __Host-access, __Host-refresh (HttpOnly) and __Host-csrf' }

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
)
