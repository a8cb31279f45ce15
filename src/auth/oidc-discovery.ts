import { type Fetched, GatedFetchError, gatedFetch } from './gated-fetch'
import { allowedFetchUrl } from './fetch-url'

/** The issuer's discovery document could not be used: unreachable, malformed, or naming another issuer. */
export class DiscoveryError extends Error {
  /** The document names another issuer than the configured one: a configuration mistake, not an outage. */
  readonly mismatch: boolean

  constructor(
    readonly detail: string,
    options: { cause?: unknown; mismatch?: boolean } = {},
  ) {
    super(`OIDC discovery failed: ${detail}`, { cause: options.cause })
    this.name = 'DiscoveryError'
    this.mismatch = options.mismatch ?? false
  }
}

export interface DiscoveryOptions {
  /** At most one fetch of the document per this long, in this isolate (as for the JWKS). */
  cooldownMs: number
  /** The document is refetched when older than this; until then it is not fetched at all. */
  cacheMaxAgeMs: number
  timeoutMs: number
}

interface Discoverer {
  jwksUri(): Promise<URL>
}

/** One per issuer and settings, for the isolate's life, so every config object shares its cache. */
const discoverers = new Map<string, Discoverer>()

/**
 * The `jwks_uri` of an issuer, read from its OpenID Provider Configuration (OpenID Connect
 * Discovery 1.0 §4: the issuer with any trailing `/` removed, plus `/.well-known/openid-configuration`).
 *
 * The document's `issuer` must equal the configured one exactly (§4.3): `https://x.auth0.com` and
 * `https://x.auth0.com/` are different issuers to jose's `iss` check and to the user keys that name
 * each user's storage, so a near miss is refused before any user is created under a wrong spelling.
 *
 * Cached like the JWKS: fetched when first needed, again when older than `cacheMaxAgeMs`, never more
 * than once per `cooldownMs`. An IdP that cannot be reached keeps the last good document (it only
 * says where the keys are; their own cache fails closed); without one, or with a document that
 * names another issuer, the issuer's tokens are refused (DiscoveryError).
 */
export function discoveredJwksUri(issuer: string, options: DiscoveryOptions): Promise<URL> {
  const cacheKey = JSON.stringify([issuer, options.cooldownMs, options.cacheMaxAgeMs])
  let discoverer = discoverers.get(cacheKey)
  if (!discoverer) {
    discoverer = createDiscoverer(issuer, options)
    discoverers.set(cacheKey, discoverer)
  }
  return discoverer.jwksUri()
}

export const discoveryUrl = (issuer: string) => `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`

function createDiscoverer(issuer: string, options: DiscoveryOptions): Discoverer {
  const fetchGated = gatedFetch(options.cooldownMs, options.timeoutMs)
  let good: { jwksUri: URL; at: number } | undefined
  let failure: DiscoveryError | undefined

  async function refresh(): Promise<URL> {
    let fetched: Fetched
    try {
      fetched = await fetchGated(discoveryUrl(issuer), { headers: { accept: 'application/json' } })
    } catch (e) {
      if (!(e instanceof GatedFetchError)) throw e
      // Within the cooldown (or unreachable): the last good document, else the last failure.
      if (good) return good.jwksUri
      throw failure ?? new DiscoveryError(`${discoveryUrl(issuer)}: ${e.detail}`, { cause: e.cause })
    }
    try {
      const jwksUri = readDocument(issuer, fetched.status, fetched.body)
      good = { jwksUri, at: Date.now() }
      failure = undefined
      return jwksUri
    } catch (e) {
      if (!(e instanceof DiscoveryError)) throw e
      failure = e
      // A document naming another issuer ends the trust in the last good one too; an outage (5xx) keeps it.
      if (e.mismatch) good = undefined
      if (good) return good.jwksUri
      throw e
    }
  }

  return {
    jwksUri() {
      if (good && Date.now() - good.at < options.cacheMaxAgeMs) return Promise.resolve(good.jwksUri)
      return refresh()
    },
  }
}

/** Validates a fetched discovery document and returns its JWKS URL. */
function readDocument(issuer: string, status: number, body: string): URL {
  const where = discoveryUrl(issuer)
  if (status !== 200) throw new DiscoveryError(`${where} answered HTTP ${status}`)
  let doc: unknown
  try {
    doc = JSON.parse(body)
  } catch {
    throw new DiscoveryError(`${where} is not JSON`)
  }
  if (typeof doc !== 'object' || doc === null) throw new DiscoveryError(`${where} is not a JSON object`)
  const { issuer: discovered, jwks_uri: jwksUri } = doc as Record<string, unknown>
  if (discovered !== issuer) {
    throw new DiscoveryError(
      `the issuer discovered at ${where} is ${JSON.stringify(discovered)}, not the configured ${JSON.stringify(issuer)}: fix TRUSTED_ISSUERS to the exact spelling`,
      { mismatch: true },
    )
  }
  if (typeof jwksUri !== 'string') throw new DiscoveryError(`${where} has no "jwks_uri"`)
  const url = allowedFetchUrl(jwksUri)
  if (typeof url === 'string') throw new DiscoveryError(`the "jwks_uri" of ${where} ${url}`)
  return url
}
