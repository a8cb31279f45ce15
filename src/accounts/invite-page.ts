/**
 * The page a person gets when they open an invite link in a browser: one form that sets their
 * password (POSTed back to the same URL, no script), or why the link no longer works. The CSP
 * allows nothing but the one inline style (by hash) and a form posting to this origin.
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

let styleHash: Promise<string> | undefined

async function headers(): Promise<Record<string, string>> {
  styleHash ??= crypto.subtle.digest('SHA-256', new TextEncoder().encode(STYLE)).then((d) => btoa(String.fromCharCode(...new Uint8Array(d))))
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${await styleHash}'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    'Cache-Control': 'no-store',
    // The URL is the invite itself: it must not leak through a Referer or a search engine.
    'Referrer-Policy': 'no-referrer',
    'X-Robots-Tag': 'noindex, nofollow',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  }
}

/** The form: choose a password for `username`. */
export async function invitePage(username: string, minChars: number, problem?: string): Promise<Response> {
  const body = `
<h1>Welcome, ${escapeHtml(username)}</h1>
<p>Choose your password (at least ${minChars} characters). This link works once.</p>
${problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post">
<input type="hidden" name="username" value="${escapeHtml(username)}" autocomplete="username">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${minChars}">
<button type="submit">Set my password</button>
</form>`
  return new Response(page('Set your password', body), { status: problem ? 400 : 200, headers: await headers() })
}

export async function inviteDonePage(username: string): Promise<Response> {
  const body = `\n<h1>Password set</h1>\n<p>You can now log in as <strong>${escapeHtml(username)}</strong>.</p>`
  return new Response(page('Password set', body), { status: 200, headers: await headers() })
}

export async function inviteErrorPage(status: 404 | 410, message: string): Promise<Response> {
  const body = `\n<h1>This invite link does not work</h1>\n<p>${escapeHtml(message)} Ask an administrator for a new one.</p>`
  return new Response(page('Invite', body), { status, headers: await headers() })
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>${body}
</main>
</body>
</html>
`
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}
