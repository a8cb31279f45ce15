import { html } from 'hono/html'
import { htmlPages } from '../http/html-page'

/**
 * The page a person gets when they open an invite link in a browser: one form that sets their
 * password (POSTed back to the same URL, no script), or why the link no longer works. The URL is
 * the invite itself: the pages' headers keep it out of Referers, search engines and caches.
 */
const STYLE = [
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:2rem 1rem;color:#1a1a1a;background:#fafafa}',
  'main{max-width:28rem;margin:0 auto}',
  'h1{font-size:1.4rem;margin:0 0 1rem}',
  'label{display:block;margin:1rem 0 .25rem}',
  'input{font:inherit;width:100%;box-sizing:border-box;padding:.5rem}',
  'button{font:inherit;margin-top:1rem;padding:.5rem 1rem;border:0;border-radius:.4rem;background:#1f4fd1;color:#fff}',
  '.error{color:#a10000}',
].join('')

const respond = htmlPages(STYLE)

/** The form: choose a password for `username`. */
export function invitePage(username: string, minChars: number, problem?: string): Promise<Response> {
  const body = html`
<h1>Welcome, ${username}</h1>
<p>Choose your password (at least ${minChars} characters). This link works once.</p>
${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}
<form method="post">
<input type="hidden" name="username" value="${username}" autocomplete="username">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${minChars}">
<button type="submit">Set my password</button>
</form>`
  return respond(problem ? 400 : 200, 'Set your password', body)
}

export function inviteDonePage(username: string): Promise<Response> {
  return respond(200, 'Password set', html`\n<h1>Password set</h1>\n<p>You can now log in as <strong>${username}</strong>.</p>`)
}

export function inviteErrorPage(status: 404 | 410, message: string): Promise<Response> {
  return respond(status, 'Invite', html`\n<h1>This invite link does not work</h1>\n<p>${message} Ask an administrator for a new one.</p>`)
}
