/**
 * What `npm run config:check` asks of a configuration before a deploy (scripts/config-check.mjs
 * reads wrangler.toml and the secrets, bundles this module for Node and prints the answer). It
 * runs the Worker's own validators, so the check and the Worker can never disagree, and collects
 * every problem instead of stopping at the first: each ConfigError names its setting, which is then
 * set aside (a required secret replaced by a stand-in) and the validators run again.
 */
import type { Env } from '../env'
import { getAuthConfig } from '../auth/auth-config'
import { allowedFetchUrl } from '../auth/fetch-url'
import type { TrustedIssuer } from '../auth/issuer-entry'
import { discoveryUrl } from '../auth/oidc-discovery'
import { getConfig } from '../config/app-config'
import { ConfigError } from '../config/config-error'
import { getLinkConfig } from '../links/link-config'
import { directoryBinding } from '../accounts/account-directory'

/** Settings that are required: set aside, they get a valid stand-in so the other checks still run. */
const STAND_INS: Record<string, string> = {
  JWT_SECRET: 'x'.repeat(32),
  ORIGIN_SECRET: 'x'.repeat(32),
  LINK_SECRET: 'x'.repeat(32),
  ORIGINS: '["http://127.0.0.1:1"]',
}

export interface CheckInput {
  /** wrangler.toml [vars] (of the chosen environment) and the secrets, by name. */
  settings: Record<string, unknown>
  /** Names of the bindings wrangler.toml declares (R2, Durable Objects, D1, rate limits…). */
  bindings: string[]
  /** Secrets known to be set where their values cannot be read (`wrangler secret list`): present, not checked. */
  presentSecrets?: string[]
}

/** Every problem of the configuration, one line each, in the words of the Worker's own validators. */
export async function checkConfig(input: CheckInput): Promise<string[]> {
  const problems: string[] = []
  const env: Record<string, unknown> = { ...input.settings }
  for (const name of input.bindings) env[name] = {}
  // Set remotely, value unknown: a required one gets its stand-in, the others are left unchecked.
  for (const name of input.presentSecrets ?? []) if (env[name] === undefined) env[name] = STAND_INS[name]
  const setAside = new Set<string>()
  for (let round = 0; round < 50; round++) {
    let failure: ConfigError | undefined
    try {
      const e = env as unknown as Env
      getConfig(e)
      const auth = await getAuthConfig(e)
      for (const p of auth.trustedIssuers.problems) problems.push(p.message)
      await getLinkConfig(e)
      directoryBinding(e)
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      failure = err
    }
    if (!failure) break
    problems.push(failure.message)
    const binding = /binding ([A-Z][A-Z0-9_]*) is missing/.exec(failure.message)?.[1]
    const setting = binding ?? /^([A-Z][A-Z0-9_]*)/.exec(failure.message)?.[1]
    if (!setting || setAside.has(setting)) break
    setAside.add(setting)
    env[setting] = binding ? {} : STAND_INS[setting]
  }
  return [...new Set(problems)]
}

/**
 * `--online`: fetches what each usable TRUSTED_ISSUERS entry points at, as the Worker will: the
 * discovery document (its issuer must be spelt exactly as configured) and the JWKS (it must hold
 * keys for the entry's algorithms). One line per problem.
 */
export async function checkIssuersOnline(input: CheckInput, timeoutMs = 10_000): Promise<string[]> {
  const env = { ...input.settings } as Record<string, unknown>
  for (const name of input.bindings) env[name] = {}
  let issuers: readonly TrustedIssuer[]
  try {
    issuers = (await getAuthConfig({ ...STAND_INS, ...env } as unknown as Env)).trustedIssuers.entries
  } catch (err) {
    if (err instanceof ConfigError) return [] // already reported by checkConfig
    throw err
  }
  const problems: string[] = []
  for (const entry of issuers) {
    const where = `${entry.at} (${entry.issuer})`
    let jwksUri: URL
    if ('jwksUri' in entry.keys) {
      jwksUri = entry.keys.jwksUri
    } else {
      const doc = await getJson(discoveryUrl(entry.issuer), timeoutMs)
      if (typeof doc === 'string') {
        problems.push(`${where}: discovery ${doc}`)
        continue
      }
      if (doc.issuer !== entry.issuer) {
        problems.push(`${where}: the discovered issuer is ${JSON.stringify(doc.issuer)}, not ${JSON.stringify(entry.issuer)}: copy it exactly`)
        continue
      }
      const url = typeof doc.jwks_uri === 'string' ? allowedFetchUrl(doc.jwks_uri) : 'is missing'
      if (typeof url === 'string') {
        problems.push(`${where}: the discovered jwks_uri ${url}`)
        continue
      }
      jwksUri = url
    }
    const jwks = await getJson(jwksUri.href, timeoutMs)
    if (typeof jwks === 'string') {
      problems.push(`${where}: JWKS ${jwks}`)
      continue
    }
    const keys = Array.isArray(jwks.keys) ? (jwks.keys as Record<string, unknown>[]) : []
    const usable = keys.filter((k) => typeof k.alg !== 'string' || entry.algorithms.includes(k.alg))
    if (usable.length === 0)
      problems.push(`${where}: the JWKS at ${jwksUri.href} has no key for ${entry.algorithms.join('/')} (its keys: ${keys.map((k) => k.alg ?? k.kty).join(', ') || 'none'})`)
  }
  return problems
}

async function getJson(url: string, timeoutMs: number): Promise<Record<string, unknown> | string> {
  let res: Response
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
  } catch (e) {
    return `${url} could not be fetched (${e instanceof Error ? e.message : String(e)})`
  }
  if (res.status !== 200) return `${url} answered HTTP ${res.status}`
  try {
    const body = (await res.json()) as unknown
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : `${url} is not a JSON object`
  } catch {
    return `${url} is not JSON`
  }
}
