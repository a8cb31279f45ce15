import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'
import { ConfigError } from '../config/config-error'
import { allowedFetchUrl } from './fetch-url'

/**
 * Cloudflare Access as an identity provider. An Access application in front of the Worker's
 * hostname signs a JWT per request (RS256) and sends it to the Worker in the
 * `Cf-Access-Jwt-Assertion` header; browsers also hold it in the `CF_Authorization` cookie.
 * Its `iss` is the team domain (`https://<team>.cloudflareaccess.com`), its `aud` a list holding
 * the application's AUD tag, its keys at `<team domain>/cdn-cgi/access/certs`.
 * See https://developers.cloudflare.com/cloudflare-one/identity/authorization-cookie/validating-json/
 *
 * Both places are read only when TRUSTED_ISSUERS has an entry of `"type": "cloudflare_access"`,
 * and a token found there must be that entry's: they are Access's, never another way in.
 */
export const ACCESS_HEADER = 'cf-access-jwt-assertion'
export const ACCESS_COOKIE = 'CF_Authorization'

/** The issuer and key URL of a team domain (`myteam.cloudflareaccess.com`, with or without `https://`). */
export function accessTeam(teamDomain: unknown, name: string): { issuer: string; certs: URL } {
  if (typeof teamDomain !== 'string' || !teamDomain.trim()) throw new ConfigError(`${name} must be the Access team domain, e.g. "myteam.cloudflareaccess.com"`)
  const text = /^[a-z]+:\/\//i.test(teamDomain) ? teamDomain : `https://${teamDomain}`
  const url = allowedFetchUrl(text)
  if (typeof url === 'string') throw new ConfigError(`${name} ${url}`)
  if (url.search || url.hash) throw new ConfigError(`${name} must be a bare team domain`)
  const issuer = `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  return { issuer, certs: new URL(`${issuer}/cdn-cgi/access/certs`) }
}

/** The Access token of a request: the header Access adds, else the cookie a browser sends. */
export function accessToken(c: Context): { token: string; from: 'header' | 'cookie' } | undefined {
  const header = c.req.header(ACCESS_HEADER)?.trim()
  if (header) return { token: header, from: 'header' }
  const cookie = getCookie(c, ACCESS_COOKIE)
  return cookie ? { token: cookie, from: 'cookie' } : undefined
}

/**
 * CSRF for the `CF_Authorization` cookie: a browser attaches it to requests other sites make, and
 * unlike the edge's own cookie it comes with no CSRF token. An unsafe method authenticated by it
 * must come from this origin: `Origin` equal to ours, or `Sec-Fetch-Site: same-origin` (OWASP's
 * standard-header defence), both set by the browser and not by a page's script.
 */
export function sameOriginRequest(c: Context): boolean {
  const origin = c.req.header('origin')
  if (origin !== undefined) return origin === new URL(c.req.url).origin
  return c.req.header('sec-fetch-site') === 'same-origin'
}
