import { ConfigError } from './config-error'

export interface OriginConfig {
  /** Base URL of a CosyVoice FastAPI server, e.g. http://gpu-1:50000 */
  url: string
  /** Syntheses it runs at once. The stock server runs one (batch size 1). Default 1. */
  concurrency: number
  /** Relative share of traffic when several origins are free. Default 1. */
  weight: number
  /** Model family; `cosyvoice3` gets the `<|endofprompt|>` markers added. Default cosyvoice3. */
  model: 'cosyvoice3' | 'cosyvoice2'
  /** Optional label shown in `GET /admin/origins` (e.g. "gpu-1"). */
  name: string | null
}

/** Parses `ORIGINS`: a JSON list of `{url, concurrency?, weight?, model?, name?}` or of plain URLs. */
export function parseOrigins(raw: string | undefined): OriginConfig[] {
  if (!raw?.trim()) throw new ConfigError('ORIGINS is not set: list the CosyVoice servers to forward to')
  let parsed: unknown
  try {
    parsed = raw.trim().startsWith('[') ? JSON.parse(raw) : raw.split(',').map((s) => s.trim())
  } catch {
    throw new ConfigError('ORIGINS is not valid JSON')
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new ConfigError('ORIGINS must be a non-empty list')
  const origins = parsed.map((entry, i): OriginConfig => {
    const o = typeof entry === 'string' ? { url: entry } : entry
    if (typeof o !== 'object' || o === null) throw new ConfigError(`ORIGINS[${i}] must be a URL or an object with "url"`)
    const { url, concurrency = 1, weight = 1, model = 'cosyvoice3', name = null } = o as Record<string, unknown>
    let parsedUrl: URL
    try {
      parsedUrl = new URL(String(url))
    } catch {
      throw new ConfigError(`ORIGINS[${i}].url is not a URL`)
    }
    if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') throw new ConfigError(`ORIGINS[${i}].url must be http(s)`)
    if (!Number.isInteger(concurrency) || (concurrency as number) < 1) throw new ConfigError(`ORIGINS[${i}].concurrency must be a positive integer`)
    if (typeof weight !== 'number' || !(weight > 0)) throw new ConfigError(`ORIGINS[${i}].weight must be a positive number`)
    if (model !== 'cosyvoice3' && model !== 'cosyvoice2') throw new ConfigError(`ORIGINS[${i}].model must be "cosyvoice3" or "cosyvoice2"`)
    if (name !== null && (typeof name !== 'string' || name.length > 64)) throw new ConfigError(`ORIGINS[${i}].name must be a string of at most 64 characters`)
    return { url: parsedUrl.href.replace(/\/$/, ''), concurrency: concurrency as number, weight, model, name }
  })
  // The pool counts slots per URL: two entries for one machine would let it run twice its concurrency.
  const seen = new Set<string>()
  origins.forEach((o, i) => {
    if (seen.has(o.url)) throw new ConfigError(`ORIGINS[${i}].url is listed twice: give the machine one entry with its total concurrency`)
    seen.add(o.url)
  })
  return origins
}
