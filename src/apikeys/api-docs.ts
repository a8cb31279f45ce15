import { TargetUserQuery } from '../auth/target-user'
import { bool, describeRoutes, nullable, object, str, time } from '../http/route-doc'
import { ApiKeyBody } from './api-key-request'

const keyView = object({ id: str, name: str, prefix: str, scope: str, created_at: time, last_used_at: nullable(time), expires_at: time, expired: bool })

export const apiKeyDocs = describeRoutes(
  {
    method: 'post',
    path: '/v1/api-keys',
    tag: 'api keys',
    summary: 'Make a personal API key (shown once)',
    auth: 'user',
    freshAuth: true,
    description: "Made from a login (not a minted token); its scopes are at most the token's.",
    body: { json: ApiKeyBody },
    responses: { 201: { description: 'The key, with its secret `key`', json: { allOf: [keyView, object({ key: { type: 'string', pattern: '^cve_' } })] } } },
    errors: { 403: ['login_required'], 409: ['too_many_keys'] },
  },
  {
    method: 'get',
    path: '/v1/api-keys',
    tag: 'api keys',
    summary: 'Your API keys (never the secret)',
    auth: 'user',
    responses: { 200: { description: 'The keys', json: object({ items: { type: 'array', items: keyView } }) } },
  },
  {
    method: 'delete',
    path: '/v1/api-keys/:id',
    tag: 'api keys',
    summary: 'Revoke an API key (a key may revoke only itself)',
    auth: 'user',
    responses: { 204: { description: 'Revoked' } },
    errors: { 404: ['not_found'] },
  },
  {
    method: 'get',
    path: '/admin/api-keys',
    tag: 'admin',
    summary: "A user's API keys",
    auth: 'admin',
    scope: 'admin',
    query: TargetUserQuery,
    responses: { 200: { description: 'The keys', json: object({ items: { type: 'array', items: keyView } }) } },
    errors: { 400: ['bad_request', 'unknown_issuer', 'issuer_required'] },
  },
  {
    method: 'delete',
    path: '/admin/api-keys/:id',
    tag: 'admin',
    summary: "Revoke a user's API key",
    auth: 'admin',
    scope: 'admin',
    query: TargetUserQuery,
    responses: { 204: { description: 'Revoked' } },
    errors: { 400: ['bad_request', 'unknown_issuer', 'issuer_required'], 404: ['not_found'] },
  },
)
