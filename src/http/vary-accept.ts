import type { MiddlewareHandler } from 'hono'

/**
 * For a URL that answers a browser with a page and any other client with JSON or the file itself,
 * errors included: a cache must keep the answers apart by `Accept`.
 */
export const varyOnAccept: MiddlewareHandler = async (c, next) => {
  await next()
  c.res.headers.append('Vary', 'Accept')
}
