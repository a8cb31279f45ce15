import { ConfigError } from './config-error'

let cached: { raw: string | undefined; origins: ReadonlySet<string> } | undefined

/**
 * CORS_ORIGINS: the web origins (`https://app.example.com`, comma- or space-separated) whose pages
 * may call the API with credentials. Empty or unset: none (same-origin only). Each must be exactly
 * an origin: no path, no wildcard (`*` with credentials would hand every site the user's session).
 */
export function corsOrigins(raw: string | undefined): ReadonlySet<string> {
  if (cached && cached.raw === raw) return cached.origins
  const origins = new Set<string>()
  for (const entry of (raw ?? '').split(/[\s,]+/).filter(Boolean)) {
    let url: URL
    try {
      url = new URL(entry)
    } catch {
      throw new ConfigError(`CORS_ORIGINS: "${entry}" is not an origin like https://app.example.com`)
    }
    if (entry.includes('*') || url.origin === 'null' || url.origin !== entry.replace(/\/$/, '') || !/^https?:$/.test(url.protocol))
      throw new ConfigError(`CORS_ORIGINS: "${entry}" must be exactly an origin (scheme://host[:port]), without a path or wildcard`)
    origins.add(url.origin)
  }
  cached = { raw, origins }
  return origins
}
