/**
 * A URL the edge may fetch an identity provider's keys or metadata from: https, or http on a
 * loopback address only (development and tests). Returns the problem as a phrase otherwise
 * ("is not a URL"), for the caller to put after the setting's name.
 */
export function allowedFetchUrl(text: string): URL | string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'is not a URL'
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]'
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return 'must be https (http only on loopback)'
  if (url.username || url.password) return 'must not carry credentials'
  return url
}
