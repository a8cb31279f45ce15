import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { consolePage } from './console-page'

/**
 * Browser pages. Only `default-src 'self'`: no inline script or style and nothing from another
 * origin, so an injected string cannot run; `blob:` for recordings played before upload.
 */
const CSP = "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

export const consoleRoutes = new Hono<AppEnv>()
  .get('/', (c) => c.redirect('/console', 302))
  .get('/console', (c) =>
    c.html(consolePage(), 200, {
      'Content-Security-Policy': CSP,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    }),
  )
