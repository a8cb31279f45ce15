import type { RouteDoc } from '../http/route-doc'
import { describeRoutes, object, bool } from '../http/route-doc'
import { accountDocs } from '../accounts/api-docs'
import { apiKeyDocs } from '../apikeys/api-docs'
import { audioDocs } from '../audio/api-docs'
import { auditDocs } from '../audit/api-docs'
import { consoleDocs } from '../console/api-docs'
import { moderationDocs } from '../moderation/api-docs'
import { limitsDocs } from '../limits/api-docs'
import { linkDocs } from '../links/api-docs'
import { poolDocs } from '../pool/api-docs'
import { synthesisDocs } from '../synthesis/api-docs'
import { tokenDocs } from '../tokens/api-docs'
import { voiceDocs } from '../voices/api-docs'

/** The routes index.ts and this folder define themselves. */
const ownDocs = describeRoutes(
  { method: 'get', path: '/health', tag: 'meta', summary: 'Liveness', auth: 'none', responses: { 200: { description: 'Alive', json: object({ ok: bool }) } } },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'meta',
    summary: 'This document (OpenAPI 3.1)',
    auth: 'none',
    responses: { 200: { description: 'The document', json: object({ openapi: { const: '3.1.0' }, info: { type: 'object' }, paths: { type: 'object' } }) } },
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'meta',
    summary: 'This document for people (HTML, no external resources)',
    auth: 'none',
    responses: { 200: { description: 'The page', media: { 'text/html': { type: 'string' } } } },
  },
)

/** Each capability folder's `api-docs.ts`: a folder that adds routes adds its descriptions here. */
export const ALL_ROUTE_DOCS: readonly RouteDoc[] = [
  ...ownDocs,
  ...accountDocs,
  ...tokenDocs,
  ...synthesisDocs,
  ...audioDocs,
  ...linkDocs,
  ...voiceDocs,
  ...apiKeyDocs,
  ...limitsDocs,
  ...auditDocs,
  ...poolDocs,
  ...moderationDocs,
  ...consoleDocs,
]
