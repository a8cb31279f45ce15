#!/usr/bin/env node
/**
 * Makes a personal API key the way a person would: logs in, then POST /v1/api-keys (a key needs a
 * login within the last 5 minutes). Prints the key, and nothing else, on stdout.
 *
 *   node scripts/api-key.mjs --user alice [--url http://127.0.0.1:8787] [--name laptop] [--scope "tts audio"] [--ttl 86400]
 *
 * The password comes from CVE_PASSWORD or the first line of stdin. `createApiKey` is exported for
 * programs (the bench: a key-authenticated row next to a JWT one, README "Personal API keys").
 */
import { parseArgs } from 'node:util'

/**
 * Logs `username` in at `url` and creates a key. Resolves to POST /v1/api-keys's answer:
 * `{id, key, prefix, name, scope, created_at, last_used_at, expires_at, expired}`, plus the login's
 * `access_token` (a JWT of the same user, for comparisons). `fetch` is the global one unless given.
 */
export async function createApiKey({ url, username, password, name = 'cli', scope, ttlSeconds, fetch = globalThis.fetch }) {
  const login = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${await login.text()}`)
  const { access_token } = await login.json()
  const res = await fetch(`${url}/v1/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}` },
    body: JSON.stringify({ name, ...(scope ? { scope } : {}), ...(ttlSeconds ? { ttl_seconds: ttlSeconds } : {}) }),
  })
  if (res.status !== 201) throw new Error(`POST /v1/api-keys answered ${res.status}: ${await res.text()}`)
  return { ...(await res.json()), access_token }
}

async function main() {
  const { values } = parseArgs({
    options: {
      user: { type: 'string' },
      url: { type: 'string', default: 'http://127.0.0.1:8787' },
      name: { type: 'string', default: 'cli' },
      scope: { type: 'string' },
      ttl: { type: 'string' },
    },
  })
  if (!values.user) throw new Error('give the user as --user NAME')
  let password = process.env.CVE_PASSWORD
  if (password === undefined) {
    let text = ''
    for await (const chunk of process.stdin) text += chunk
    password = text.split(/\r?\n/)[0] ?? ''
  }
  const ttlSeconds = values.ttl === undefined ? undefined : Number(values.ttl)
  const created = await createApiKey({ url: values.url, username: values.user, password, name: values.name, scope: values.scope, ttlSeconds })
  process.stderr.write(`key ${created.id} (${created.scope}), expires ${created.expires_at}: shown once, keep it safe\n`)
  process.stdout.write(`${created.key}\n`)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    process.stderr.write(`api-key: ${e.message}\n`)
    process.exit(1)
  })
}
