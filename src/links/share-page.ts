import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import { base64 } from '../codecs/base64'
import type { Share } from '../users/share-ledger'

/**
 * The page a browser gets for `/s/<id>`: an audio player, the expiry and a download link, in one
 * small self-contained document. No scripts, no external assets; the CSP allows only the audio
 * from this origin and the one inline style (by hash), so the owner's note (escaped by hono's `html`
 * template, like every value put into the page) can never become markup that runs or loads anything.
 */
const STYLE = [
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:2rem 1rem;color:#1a1a1a;background:#fafafa}',
  'main{max-width:36rem;margin:0 auto}',
  'h1{font-size:1.4rem;margin:0 0 1rem}',
  'audio{width:100%;margin:1rem 0}',
  '.note{white-space:pre-wrap;border-left:3px solid #888;padding-left:.75rem}',
  '.button{display:inline-block;padding:.5rem 1rem;border-radius:.4rem;background:#1f4fd1;color:#fff;text-decoration:none}',
  '.button:focus{outline:3px solid #f5a623;outline-offset:2px}',
  '.meta{color:#444;font-size:.95rem}',
].join('')

let styleHash: Promise<string> | undefined

async function headers(): Promise<Record<string, string>> {
  styleHash ??= crypto.subtle.digest('SHA-256', new TextEncoder().encode(STYLE)).then((d) => base64(new Uint8Array(d)))
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': `default-src 'none'; media-src 'self'; style-src 'sha256-${await styleHash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    // The page reflects the share's state (downloads left, revocation): never from a cache.
    'Cache-Control': 'no-store',
    // The URL is the key to the audio: it must not leak through a Referer or a search engine.
    'Referrer-Policy': 'no-referrer',
    'X-Robots-Tag': 'noindex, nofollow',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    Vary: 'Accept',
  }
}

export async function sharePage(share: Share): Promise<Response> {
  const audio = `/s/${share.shareId}/audio`
  const expires = new Date(share.expiresAt)
  const body = html`
<h1>Shared audio</h1>
${share.note ? html`<p class="note">${share.note}</p>` : ''}
<audio controls preload="none" src="${audio}" aria-label="Shared audio">Your browser cannot play this audio here; use the download link below.</audio>
<p><a class="button" href="${audio}?download=1" download>Download the audio (WAV)</a></p>
<p class="meta">Available until <time datetime="${expires.toISOString()}">${expires.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>.${downloadsNote(share)}</p>`
  return new Response(await document('Shared audio', body), { status: 200, headers: await headers() })
}

/** A refusal (gone, expired, used up, unknown) as a page, for a person in a browser. */
export async function shareErrorPage(status: 404 | 410, message: string): Promise<Response> {
  const body = html`
<h1>${status === 404 ? 'Share not found' : 'This share is no longer available'}</h1>
<p>${message}</p>`
  return new Response(await document('Shared audio', body), { status, headers: await headers() })
}

/** True when the client prefers a page (a browser navigating), not the audio (curl, a player). */
export function wantsHtml(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase())
    return type === 'text/html' && !params.some((p) => /^q=0(\.0*)?$/.test(p))
  })
}

function downloadsNote(share: Share): string {
  if (share.maxDownloads === null) return ''
  if (share.maxDownloads === 1) return ' This is a one-time link: playing or downloading it uses it up.'
  const left = Math.max(0, share.maxDownloads - share.downloads)
  return ` ${left} of ${share.maxDownloads} downloads left; playing or downloading counts as one.`
}

async function document(title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>): Promise<string> {
  // STYLE is ours and must reach the page byte for byte: the CSP allows it by its hash.
  const page = await html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<main>${body}
</main>
</body>
</html>
`
  return page.toString()
}
