import { describeRoutes, object, str, time } from '../http/route-doc'
import { MintBody, RevokeBody } from './admin-token-bodies'

export const tokenDocs = describeRoutes(
  {
    method: 'get',
    path: '/.well-known/jwks.json',
    tag: 'auth',
    summary: "The edge's public signing keys (RFC 7517)",
    auth: 'none',
    responses: { 200: { description: 'A JWK set', media: { 'application/jwk-set+json': object({ keys: { type: 'array', items: { type: 'object' } } }) } } },
  },
  {
    method: 'post',
    path: '/admin/tokens',
    tag: 'admin',
    summary: 'Mint an access token for someone (never more than the minter has)',
    auth: 'admin',
    scope: 'admin',
    body: { json: MintBody },
    responses: { 201: { description: 'The token', json: object({ token: str, jti: str, expires_at: time }) } },
    errors: { 400: ['ttl_too_long'] },
  },
  {
    method: 'post',
    path: '/admin/revoke',
    tag: 'admin',
    summary: 'Revoke one token (jti) or every token of a user (sub, issuer)',
    auth: 'admin',
    scope: 'admin',
    body: { json: RevokeBody },
    responses: { 200: { description: 'What was revoked', json: object({ revoked: { type: 'object' } }) } },
    errors: { 400: ['bad_request', 'unknown_issuer', 'issuer_required'] },
  },
)
