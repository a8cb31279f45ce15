#!/usr/bin/env node
// `node scripts/config-check.selftest.mjs`: runs `npm run config:check` on configurations made to
// be wrong (and one made to be right) and checks what it prints and its exit code. Node, not
// workerd, so it is not part of `npm test`.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startJwksServer } from '../test/support/jwks-server.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'config-check-selftest-'))
const provider = await startJwksServer({ tenants: { auth0: { alg: 'RS256', issuerPath: '/' }, slash: { discovery: 'mismatch' }, ed: { alg: 'Ed25519' } } })
const secret = (c) => c.repeat(40)
const good = { JWT_SECRET: secret('a'), ORIGIN_SECRET: secret('b'), LINK_SECRET: secret('c') }

/**
 * Runs the check with these secrets (and optionally extra wrangler.toml lines); → {code, lines}.
 * @param {Record<string, string>} secrets
 * @param {{ toml?: string, args?: string[] }} [options]
 * @returns {Promise<{ code: number, lines: string[] }>}
 */
async function check(secrets, { toml = '', args = [] } = {}) {
  const config = join(dir, `wrangler-${Math.random().toString(36).slice(2)}.toml`)
  writeFileSync(config, readFileSync(join(root, 'wrangler.toml'), 'utf8').replace('[vars]\n', `[vars]\n${toml}`))
  const file = join(dir, 'secrets')
  writeFileSync(
    file,
    Object.entries(secrets)
      .map(([k, v]) => `${k}='${v}'`)
      .join('\n'),
  )
  try {
    const { stdout } = await promisify(execFile)('node', [join(root, 'scripts/config-check.mjs'), '--config', config, '--secrets', file, ...args])
    return { code: 0, lines: stdout.trim().split('\n') }
  } catch (e) {
    const failed = /** @type {{ code: number, stdout: string }} */ (e)
    return { code: failed.code, lines: String(failed.stdout).trim().split('\n') }
  }
}

let failures = 0
async function test(name, fn) {
  try {
    await fn()
    console.log(`ok   ${name}`)
  } catch (e) {
    failures++
    console.log(`FAIL ${name}\n${/** @type {Error} */ (e).message}`)
  }
}

try {
  await test('a good configuration: exit 0, one OK line', async () => {
    const r = await check(good)
    assert.equal(r.code, 0, r.lines.join('\n'))
    assert.match(String(r.lines.at(-1)), /^config:check: OK/)
  })

  await test('missing secrets: one line each, with how to set them, exit 1', async () => {
    const r = await check({})
    assert.equal(r.code, 1)
    assert.deepEqual(r.lines.slice(0, -1), [
      'problem: JWT_SECRET is not set (npx wrangler secret put JWT_SECRET; locally, .dev.vars)',
      'problem: ORIGIN_SECRET is not set (npx wrangler secret put ORIGIN_SECRET; locally, .dev.vars)',
      'problem: LINK_SECRET is not set (npx wrangler secret put LINK_SECRET; locally, .dev.vars)',
    ])
    assert.match(String(r.lines.at(-1)), /^config:check: 3 problems/)
  })

  await test('every broken TRUSTED_ISSUERS entry, a secret in wrangler.toml and a typo, all in one run', async () => {
    const issuers = [
      { issuer: 'https://tenant.auth0.com/', audience: 'https://api', roles_claim: 'https://example.com/roles', role_map: { paid: 'premium' } },
      { issuer: 'https://kc.example/realms/x', audience: ['a', 'b'], roles_claim: 'realm_access.roles' },
      { issuer: 'https://okta.example/oauth2/default', audience: 'api://x', algorithms: ['Ed25519', 'HS256'] },
      { type: 'cloudflare_access', team_domain: 'myteam.cloudflareaccess.com', audience: 'abc', default_role: 'admin' },
    ]
    const r = await check({ ...good, TRUSTED_ISSUERS: JSON.stringify(issuers), ACCESS_TTL: '5' }, { toml: `TRUSTED_ISSUER = "[]"\nSIGNING_JWK = "{}"\n` })
    assert.equal(r.code, 1)
    assert.deepEqual(r.lines, [
      'warning: TRUSTED_ISSUER is not a setting the Worker reads (a typo?)',
      'problem: SIGNING_JWK is a secret: remove it from wrangler.toml [vars] and set it with `npx wrangler secret put SIGNING_JWK`',
      'problem: SIGNING_JWK needs a "kid"',
      'problem: ACCESS_TTL must be a whole number of seconds from 60 to 86400',
      'problem: TRUSTED_ISSUERS[1].roles_claim "realm_access.roles" is ambiguous: write ["realm_access","roles"] for a nested claim, or "/realm_access.roles" for one claim of that name',
      'problem: TRUSTED_ISSUERS[2].algorithms: "HS256" is not allowed (one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519, ML-DSA-44, ML-DSA-65, ML-DSA-87)',
      'problem: TRUSTED_ISSUERS[3].default_role cannot be admin: map the IdP roles that are admins in role_map',
      r.lines.at(-1),
    ])
    assert.match(String(r.lines.at(-1)), /^config:check: 6 problems/)
  })

  await test('--online: a discovered issuer spelt differently, and a JWKS without a key for the algorithms', async () => {
    const issuers = [
      { issuer: `${provider.url}/auth0/`, audience: 'x', algorithms: ['RS256'] },
      { issuer: `${provider.url}/slash`, audience: 'x' },
      { issuer: `${provider.url}/ed`, audience: 'x', algorithms: ['RS256'] },
      { issuer: 'https://ed.test', jwks_uri: `${provider.url}/ed/jwks.json`, audience: 'x', algorithms: ['Ed25519'] },
    ]
    const r = await check({ ...good, TRUSTED_ISSUERS: JSON.stringify(issuers) }, { args: ['--online'] })
    assert.equal(r.code, 1)
    assert.deepEqual(r.lines.slice(0, -1), [
      `problem: TRUSTED_ISSUERS[1] (${provider.url}/slash): the discovered issuer is "${provider.url}/slash/", not "${provider.url}/slash": copy it exactly`,
      `problem: TRUSTED_ISSUERS[2] (${provider.url}/ed): the JWKS at ${provider.url}/ed/jwks.json has no key for RS256 (its keys: Ed25519)`,
    ])
  })
} finally {
  await provider.close()
  rmSync(dir, { recursive: true, force: true })
}
console.log(failures ? `${failures} failed` : 'all passed')
process.exit(failures ? 1 : 0)
