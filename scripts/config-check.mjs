#!/usr/bin/env node
// `npm run config:check [-- --env NAME] [--secrets FILE|none] [--remote] [--online]`: checks the
// Worker's configuration before a deploy, with the Worker's own validators (src/preflight/config-check.ts).
// Prints one line per problem and exits 1 if there is any; 0 when the configuration would load.
//
//   --env NAME       a wrangler environment ([env.NAME] in wrangler.toml)
//   --secrets FILE   secrets as KEY=value lines (default: .dev.vars when it exists; `none`: no file)
//   --remote         the secrets set on Cloudflare (`wrangler secret list`) count as present; their
//                    values cannot be read, so only their presence is checked
//   --online         also fetch each TRUSTED_ISSUERS entry's discovery document and JWKS
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { readDevVars } from './dev-vars.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Settings that must never sit in wrangler.toml, which is committed. */
const SECRETS = ['JWT_SECRET', 'ORIGIN_SECRET', 'LINK_SECRET', 'LINK_SECRET_PREVIOUS', 'AUTH_USERS', 'SIGNING_JWK', 'SIGNING_JWK_PREVIOUS']

/** @param {string} message @returns {never} */
function usage(message) {
  process.stderr.write(`config:check: ${message}\n`)
  process.exit(2)
}

/** @type {{ env?: string, config: string, secrets?: string, remote: boolean, online: boolean }} */
let values
try {
  ;({ values } = parseArgs({
    options: {
      env: { type: 'string' },
      config: { type: 'string', default: join(root, 'wrangler.toml') },
      secrets: { type: 'string' },
      remote: { type: 'boolean', default: false },
      online: { type: 'boolean', default: false },
    },
  }))
} catch (e) {
  usage(/** @type {Error} */ (e).message)
}

const problems = []
const warnings = []

// 1. wrangler.toml as wrangler itself reads it (environments, inheritance, its own validation).
const { unstable_readConfig } = await import('wrangler')
let config
try {
  config = unstable_readConfig({ config: values.config, env: values.env }, { hideWarnings: true })
} catch (e) {
  problems.push(`${values.config}: ${/** @type {Error} */ (e).message.split('\n')[0]}`)
}
const vars = { ...(config?.vars ?? {}) }
const bindings = config ? bindingNames(config) : []

for (const name of SECRETS) if (name in vars) problems.push(`${name} is a secret: remove it from wrangler.toml [vars] and set it with \`npx wrangler secret put ${name}\``)

// 2. The secrets: a file, and/or the names set on Cloudflare.
const secretsFile = values.secrets ?? (existsSync(join(root, '.dev.vars')) ? join(root, '.dev.vars') : 'none')
const secrets = secretsFile === 'none' ? {} : existsSync(secretsFile) ? readDevVars(secretsFile) : usage(`no secrets file ${secretsFile}`)
let presentSecrets = []
if (values.remote) {
  try {
    const listed = execFileSync('npx', ['wrangler', 'secret', 'list', '--format', 'json', ...(values.env ? ['--env', values.env] : [])], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    presentSecrets = JSON.parse(listed).map((s) => s.name)
  } catch (e) {
    const failure = /** @type {Error & { stderr?: string }} */ (e)
    problems.push(
      `wrangler secret list failed (logged in? the Worker deployed once?): ${
        String(failure.stderr ?? failure.message)
          .trim()
          .split('\n')[0]
      }`,
    )
  }
}

// 3. Names the Worker does not read: probably a typo (TRUSTED_ISSUER for TRUSTED_ISSUERS). The Env type
// is in two files: what wrangler.toml names (generated, worker-configuration.d.ts), and the rest (src/env.ts).
const envTypes = ['worker-configuration.d.ts', 'src/env.ts'].map((file) => readFileSync(join(root, file), 'utf8')).join('\n')
const known = new Set([...envTypes.matchAll(/^\s+([A-Z][A-Z0-9_]*)\??:/gm)].map((m) => m[1]))
for (const name of Object.keys({ ...vars, ...secrets })) if (!known.has(name) && !bindings.includes(name)) warnings.push(`${name} is not a setting the Worker reads (a typo?)`)

// 4. The Worker's own validators, bundled for Node.
const settings = { ...vars, ...secrets }
const check = await loadChecks()
const silenced = console.error
console.error = () => {} // the validators log what they find; it is printed below, once
try {
  problems.push(...(await check.checkConfig({ settings, bindings, presentSecrets })))
  if (values.online) problems.push(...(await check.checkIssuersOnline({ settings, bindings })))
} finally {
  console.error = silenced
}

for (const w of warnings) console.log(`warning: ${w}`)
for (const p of problems) {
  const missing = /^([A-Z_]+) is not set/.exec(p)?.[1]
  console.log(`problem: ${p}${missing && SECRETS.includes(missing) ? ` (npx wrangler secret put ${missing}; locally, .dev.vars)` : ''}`)
}
const where = `${values.config}${values.env ? ` [env.${values.env}]` : ''} + ${values.remote ? 'secrets on Cloudflare' : secretsFile === 'none' ? 'no secrets' : secretsFile}`
console.log(problems.length ? `config:check: ${problems.length} problem${problems.length > 1 ? 's' : ''} in ${where}` : `config:check: OK (${where})`)
process.exit(problems.length ? 1 : 0)

/** Every binding name wrangler.toml declares, whatever its kind. */
function bindingNames(c) {
  const names = []
  for (const key of ['r2_buckets', 'd1_databases', 'kv_namespaces', 'services', 'analytics_engine_datasets', 'vectorize', 'hyperdrive', 'workflows'])
    for (const b of c[key] ?? []) names.push(b.binding ?? b.name)
  for (const b of c.durable_objects?.bindings ?? []) names.push(b.name)
  for (const b of c.ratelimits ?? []) names.push(b.name)
  for (const b of c.queues?.producers ?? []) names.push(b.binding)
  for (const key of ['ai', 'browser', 'images', 'version_metadata']) if (c[key]?.binding) names.push(c[key].binding)
  return names.filter(Boolean)
}

/** src/preflight/config-check.ts bundled with esbuild (wrangler's own bundler) into a temporary module. */
async function loadChecks() {
  const { build } = await import('esbuild')
  const dir = mkdtempSync(join(tmpdir(), 'config-check-'))
  const outfile = join(dir, 'config-check.mjs')
  try {
    await build({
      entryPoints: [join(root, 'src/preflight/config-check.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
      external: ['cloudflare:*'],
    })
    return await import(pathToFileURL(outfile).href)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
