import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import { base64 } from '../codecs/base64'

/** A fragment of a page: hono's `html` template, whose interpolated values are escaped. */
export type PageHtml = HtmlEscapedString | Promise<HtmlEscapedString>

/**
 * The small self-contained pages the Worker gives a person in a browser (a share, a refused link,
 * an invite): no scripts, no external assets, and a CSP that allows only the one inline style (by
 * its hash), forms posting back to this origin and, with `media`, audio from it. Their URLs carry
 * a secret (a share id, an invite token): no Referer, no search engine, no cache.
 */
export function htmlPages(style: string, options: { media?: boolean } = {}) {
  let styleHash: Promise<string> | undefined

  async function headers(): Promise<Record<string, string>> {
    styleHash ??= crypto.subtle.digest('SHA-256', new TextEncoder().encode(style)).then((d) => base64(new Uint8Array(d)))
    const media = options.media ? " media-src 'self';" : ''
    return {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none';${media} style-src 'sha256-${await styleHash}'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Robots-Tag': 'noindex, nofollow',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
    }
  }

  /** The page `title` (the document's) around `body`, as a response with these headers. */
  return async function respond(status: number, title: string, body: PageHtml, extraHeaders: Record<string, string> = {}): Promise<Response> {
    // The style is ours and must reach the page byte for byte: the CSP allows it by its hash.
    const page = await html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style>${raw(style)}</style>
</head>
<body>
<main>${body}
</main>
</body>
</html>
`
    return new Response(page.toString(), { status, headers: { ...(await headers()), ...extraHeaders } })
  }
}
