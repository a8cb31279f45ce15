import { html } from 'hono/html'
import { htmlPages, type PageHtml } from '../http/html-page'
import { ABUSE_REASONS } from '../users/abuse-reasons'
import type { Share } from '../users/share-ledger'

/** Longest free text a report may carry (the form says so; moderation/report-body.ts enforces it). */
export const REPORT_DETAILS_MAX = 1000

/**
 * The page a browser gets for `/s/<id>`: an audio player, the expiry, a download link and a form to
 * report the audio, in one small self-contained document. No scripts, no external assets; the CSP
 * allows only the audio from this origin, the one inline style (by hash) and forms posting back
 * here, so the owner's note (escaped by hono's `html` template, like every value put into a page)
 * can never become markup that runs or loads anything.
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
  'details{margin-top:2rem;border-top:1px solid #ddd;padding-top:1rem}',
  'summary{cursor:pointer;color:#444}',
  'label{display:block;margin:.75rem 0 .25rem}',
  'select,textarea{font:inherit;width:100%;box-sizing:border-box}',
  'button{font:inherit;margin-top:.75rem;padding:.4rem 1rem}',
].join('')

// The page reflects the share's state (downloads left, revocation), so it is never cached (the
// pages' headers); a browser and a script get different answers from one URL (share-routes.ts: Vary).
const respond = htmlPages(STYLE, { media: true })

export async function sharePage(share: Share): Promise<Response> {
  const audio = `/s/${share.shareId}/audio`
  const expires = new Date(share.expiresAt)
  const body = html`
<h1>Shared audio</h1>
${share.note ? html`<p class="note">${share.note}</p>` : ''}
<audio controls preload="none" src="${audio}" aria-label="Shared audio">Your browser cannot play this audio here; use the download link below.</audio>
<p><a class="button" href="${audio}?download=1" download>Download the audio (WAV)</a></p>
<p class="meta">Available until <time datetime="${expires.toISOString()}">${expires.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>.${downloadsNote(share)}</p>
${reportForm(share.shareId)}`
  return respond(200, 'Shared audio', body)
}

/**
 * A refusal (gone, expired, used up, removed, unknown) as a page, for a person in a browser. A
 * share that exists but is no longer playable (`reportShareId`) can still be reported: a one-time
 * link is used up by the very listen that makes someone want to report it.
 */
export async function shareErrorPage(status: 404 | 410 | 451, message: string, reportShareId: string | null = null): Promise<Response> {
  const title = status === 404 ? 'Share not found' : status === 451 ? 'This audio was removed' : 'This share is no longer available'
  return sharePageResponse(status, title, html`<p>${message}</p>${reportShareId ? html`\n${reportForm(reportShareId)}` : ''}`)
}

/** A refused signed `/d/` link as a page, with the status its JSON answer has. */
export function linkErrorPage(status: number, title: string, message: string): Promise<Response> {
  return sharePageResponse(status, title, html`<p>${message}</p>`)
}

/** Any page under `/s/` (the report's answers too: moderation/), with the share page's headers. */
export async function sharePageResponse(status: number, title: string, bodyHtml: PageHtml, extraHeaders: Record<string, string> = {}): Promise<Response> {
  return respond(status, 'Shared audio', html`\n<h1>${title}</h1>\n${bodyHtml}`, extraHeaders)
}

/**
 * "Report this audio": a plain form (no account, no script) posting to `/s/<id>/report`
 * (moderation/report-routes.ts). It says what happens to a report and that the person who shared
 * the audio is not told who sent it.
 */
function reportForm(shareId: string): PageHtml {
  const options = Object.entries(ABUSE_REASONS).map(([code, label]) => html`<option value="${code}">${label}</option>`)
  return html`<details>
<summary>Report this audio</summary>
<form method="post" action="/s/${shareId}/report">
<label for="reason">What is wrong with it?</label>
<select id="reason" name="reason" required><option value="">Choose a reason</option>${options}</select>
<label for="details">Anything else we should know (optional)</label>
<textarea id="details" name="details" rows="4" maxlength="${REPORT_DETAILS_MAX}"></textarea>
<button type="submit">Send the report</button>
<p class="meta">Reports go to the people who run this service. The person who shared this audio is not told who reported it.</p>
</form>
</details>`
}

function downloadsNote(share: Share): string {
  if (share.maxDownloads === null) return ''
  if (share.maxDownloads === 1) return ' This is a one-time link: playing or downloading it uses it up.'
  const left = Math.max(0, share.maxDownloads - share.downloads)
  return ` ${left} of ${share.maxDownloads} downloads left; playing or downloading counts as one.`
}
