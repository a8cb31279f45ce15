/**
 * True when the client prefers a page (a browser navigating), not data (curl, a player, an app):
 * its Accept lists `text/html` without `q=0`. Share links and invite links answer both ways.
 */
export function wantsHtml(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase())
    return type === 'text/html' && !params.some((p) => /^q=0(\.0*)?$/.test(p))
  })
}
