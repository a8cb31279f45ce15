import * as v from 'valibot'
import { ConfigError } from './config-error'
import { readSetting } from './setting'

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

const positiveInteger = 'must be a positive integer'
const positiveNumber = 'must be a positive number'
const shortName = 'must be a string of at most 64 characters'

/** One entry of `ORIGINS`: a URL, or `{url, concurrency?, weight?, model?, name?}`. */
const OriginSchema = v.pipe(
  v.unknown(),
  v.transform((entry) => (typeof entry === 'string' ? { url: entry } : entry)),
  v.object(
    {
      url: v.pipe(
        v.unknown(),
        v.transform(toUrl),
        v.custom<URL>((url) => url !== null, 'is not a URL'),
        v.check((url) => url.protocol === 'http:' || url.protocol === 'https:', 'must be http(s)'),
        v.transform((url) => url.href.replace(/\/$/, '')),
      ),
      concurrency: v.optional(v.pipe(v.number(positiveInteger), v.integer(positiveInteger), v.minValue(1, positiveInteger)), 1),
      weight: v.optional(v.pipe(v.number(positiveNumber), v.gtValue(0, positiveNumber)), 1),
      model: v.optional(v.picklist(['cosyvoice3', 'cosyvoice2'], 'must be "cosyvoice3" or "cosyvoice2"'), 'cosyvoice3'),
      name: v.optional(v.nullable(v.pipe(v.string(shortName), v.maxLength(64, shortName))), null),
    },
    'must be a URL or an object with "url"',
  ),
)

const OriginsSchema = v.pipe(v.array(OriginSchema, 'must be a non-empty list'), v.minLength(1, 'must be a non-empty list'))

function toUrl(value: unknown): URL | null {
  try {
    return new URL(String(value))
  } catch {
    return null
  }
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
  const origins: OriginConfig[] = readSetting('ORIGINS', OriginsSchema, parsed)
  // The pool counts slots per URL: two entries for one machine would let it run twice its concurrency.
  const seen = new Set<string>()
  origins.forEach((o, i) => {
    if (seen.has(o.url)) throw new ConfigError(`ORIGINS[${i}].url is listed twice: give the machine one entry with its total concurrency`)
    seen.add(o.url)
  })
  return origins
}
