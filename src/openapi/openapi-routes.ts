import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { docsPage } from './docs-page'
import { openApiDocument } from './openapi-document'

// Built once per isolate: the document depends only on the code.
let cached: { json: string; html: string } | undefined
const built = () => {
  if (!cached) {
    const doc = openApiDocument()
    cached = { json: JSON.stringify(doc), html: docsPage(doc) }
  }
  return cached
}

/** `GET /openapi.json` (the OpenAPI 3.1 document) and `GET /docs` (the same, as a page). */
export const openApiRoutes = new Hono<AppEnv>()
  .get('/openapi.json', (c) => c.body(built().json, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' }))
  .get('/docs', (c) =>
    c.body(built().html, 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'public, max-age=300',
      // No script at all and nothing from elsewhere.
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    }),
  )
