import { hc } from 'hono/client'

/**
 * A client of a cosyvoice-edge deployment, typed by the Worker's own routes (hono/client over
 * `AppType`): `edgeClient(url, { token }).v1.tts.$post({ json: {…} })`. Works in Node 18+ and
 * browsers (it is `fetch` underneath). `token` is a JWT or a `cve_…` API key; a browser on a
 * CORS_ORIGINS origin may instead pass `init: { credentials: 'include' }` and its X-CSRF-Token.
 */
export function edgeClient(baseUrl, options = {}) {
  const { token, headers, ...rest } = options
  return hc(baseUrl, { ...rest, headers: { ...(headers ?? {}), ...(token ? { Authorization: `Bearer ${token}` } : {}) } })
}
