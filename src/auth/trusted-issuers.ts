import { ConfigError } from '../config/config-error'
import { issuerOfBrokenEntry, parseIssuerEntry, type TrustedIssuer } from './issuer-entry'

export type { TrustedIssuer } from './issuer-entry'

/** An entry that cannot be used, and why (naming the field). `issuer` when it could be read. */
export interface IssuerProblem {
  at: string
  issuer: string | undefined
  message: string
  /** It was meant as a Cloudflare Access entry: Access's header is still read, to refuse its tokens with this reason. */
  cloudflareAccess: boolean
}

/**
 * The external identity providers of `TRUSTED_ISSUERS` (a JSON list of entries, issuer-entry.ts).
 *
 * A broken entry fails alone: it is kept as a problem, its tokens are refused with its reason in
 * the log, and every other entry and the edge's own tokens keep working. Nothing about one issuer
 * can take authentication down for the rest (a global 500 would turn one typo into an outage).
 * `npm run config:check` reports the same problems before a deploy.
 */
export class TrustedIssuers {
  readonly #byIssuer = new Map<string, TrustedIssuer | IssuerProblem>()

  constructor(
    readonly entries: readonly TrustedIssuer[],
    readonly problems: readonly IssuerProblem[],
  ) {
    for (const e of entries) this.#byIssuer.set(e.issuer, e)
    for (const p of problems) if (p.issuer !== undefined) this.#byIssuer.set(p.issuer, p)
  }

  /** The entry for a token's `iss`, its problem if the entry is broken, or undefined if none is listed. */
  find(issuer: string): TrustedIssuer | IssuerProblem | undefined {
    return this.#byIssuer.get(issuer)
  }

  /** Every issuer configured, usable or not: the ones an admin may name (admin-reach.ts). */
  get issuers(): string[] {
    return [...this.#byIssuer.keys()]
  }

  /** Whether any entry, usable or not, is Cloudflare Access: only then are its header and cookie read. */
  get cloudflareAccess(): boolean {
    return [...this.entries, ...this.problems].some((e) => e.cloudflareAccess)
  }

  /** A problem with the setting as a whole (not JSON, not a list), which no issuer can be told from. */
  get settingProblem(): IssuerProblem | undefined {
    return this.problems.find((p) => p.at === 'TRUSTED_ISSUERS')
  }
}

export function isProblem(found: TrustedIssuer | IssuerProblem): found is IssuerProblem {
  return 'message' in found
}

/**
 * Parses TRUSTED_ISSUERS. Never throws: each problem is kept with the entry it belongs to.
 * `tiers` are the configured TIERS (role_map and default_role must name one).
 */
export function parseTrustedIssuers(raw: unknown, options: { edgeIssuer: string; tiers: Readonly<Record<string, unknown>> }): TrustedIssuers {
  if (raw === undefined || raw === null || (typeof raw === 'string' && !raw.trim())) return new TrustedIssuers([], [])
  let parsed: unknown = raw
  // A string from the dashboard, `.dev.vars` or wrangler.toml; or a list wrangler.toml wrote as TOML, which arrives parsed.
  if (typeof raw === 'string') {
    try {
      parsed = JSON.parse(raw)
    } catch {
      return new TrustedIssuers([], [{ at: 'TRUSTED_ISSUERS', issuer: undefined, message: 'TRUSTED_ISSUERS is not valid JSON', cloudflareAccess: false }])
    }
  }
  if (!Array.isArray(parsed))
    return new TrustedIssuers([], [{ at: 'TRUSTED_ISSUERS', issuer: undefined, message: 'TRUSTED_ISSUERS must be a JSON list of entries', cloudflareAccess: false }])

  const results = parsed.map((entry: unknown, i): TrustedIssuer | IssuerProblem => {
    const at = `TRUSTED_ISSUERS[${i}]`
    try {
      return parseIssuerEntry(entry, at, options.tiers)
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      const cloudflareAccess = typeof entry === 'object' && entry !== null && (entry as Record<string, unknown>).type === 'cloudflare_access'
      return { at, issuer: issuerOfBrokenEntry(entry), message: e.message, cloudflareAccess }
    }
  })

  // An issuer listed twice is refused in both places: which of the two was meant is the operator's call.
  const places = new Map<string, string[]>()
  for (const r of results) if (r.issuer !== undefined) places.set(r.issuer, [...(places.get(r.issuer) ?? []), r.at])
  const checked = results.map((r): TrustedIssuer | IssuerProblem => {
    if (r.issuer === undefined) return r
    const { cloudflareAccess } = r
    if (r.issuer === options.edgeIssuer) return { at: r.at, issuer: r.issuer, message: `${r.at}.issuer "${r.issuer}" is the edge's own JWT_ISSUER`, cloudflareAccess }
    const at = places.get(r.issuer)!
    if (at.length > 1)
      return {
        at: r.at,
        issuer: r.issuer,
        message: `${r.at}.issuer "${r.issuer}" is listed more than once (${at.join(', ')}): its tokens are refused until one entry remains`,
        cloudflareAccess,
      }
    return r
  })
  return new TrustedIssuers(
    checked.filter((r): r is TrustedIssuer => !isProblem(r)),
    checked.filter(isProblem),
  )
}
