import { ConfigError } from './config-error'

export type OriginModel = 'cosyvoice3' | 'cosyvoice2'

/**
 * The short synthesis the pool sends an origin to learn whether it works (pool/canary.ts): it must
 * succeed on a healthy origin whatever users send. `sft` needs one of the origin's speakers;
 * `cross_lingual` speaks with the edge's built-in prompt audio.
 */
export type CanaryConfig = { mode: 'sft'; speaker: string; text: string } | { mode: 'cross_lingual'; text: string }

export interface OriginConfig {
  /** Base URL of a CosyVoice FastAPI server, e.g. http://gpu-1:50000 */
  url: string
  /** Syntheses it runs at once. The stock server runs one (batch size 1). Default 1. */
  concurrency: number
  /** Relative share of traffic when several origins are free. Default 1. */
  weight: number
  /** Model family: which `<|endofprompt|>` markers the edge adds. Default cosyvoice3. */
  model: OriginModel
  /** Optional label shown in `GET /admin/origins` (e.g. "gpu-1"). */
  name: string | null
  /** Preset speakers its model has, for `sft`. CosyVoice2/3 downloads ship none: default []. */
  speakers: string[]
  /** Default: `sft` with its first speaker if it has any, else `cross_lingual`; text "Hello." */
  canary: CanaryConfig
}

const MAX_SPEAKERS = 1000
const MAX_SPEAKER_CHARS = 64
const MAX_CANARY_CHARS = 200
const DEFAULT_CANARY_TEXT = 'Hello.'
const ORIGIN_SETTINGS = ['url', 'concurrency', 'weight', 'model', 'name', 'speakers', 'canary']

/** Parses `ORIGINS`: a JSON list of `{url, concurrency?, weight?, model?, name?, speakers?, canary?}` or of plain URLs. */
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
    const { url, concurrency = 1, weight = 1, model = 'cosyvoice3', name = null, speakers = [], canary, ...rest } = o as Record<string, unknown>
    // A misspelt setting would otherwise be its default without a word (a "concurency": 4 runs one at a time).
    const unknown = Object.keys(rest)[0]
    if (unknown !== undefined) throw new ConfigError(`ORIGINS[${i}].${unknown} is not an origin setting (${ORIGIN_SETTINGS.join(', ')})`)
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
    const speakerList = parseSpeakers(speakers, `ORIGINS[${i}].speakers`)
    return {
      url: parsedUrl.href.replace(/\/$/, ''),
      concurrency: concurrency as number,
      weight,
      model,
      name,
      speakers: speakerList,
      canary: parseCanary(canary, speakerList, `ORIGINS[${i}].canary`),
    }
  })
  // The pool counts slots per URL: two entries for one machine would let it run twice its concurrency.
  const seen = new Set<string>()
  origins.forEach((o, i) => {
    if (seen.has(o.url)) throw new ConfigError(`ORIGINS[${i}].url is listed twice: give the machine one entry with its total concurrency`)
    seen.add(o.url)
  })
  return origins
}

function parseSpeakers(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length > MAX_SPEAKERS) throw new ConfigError(`${field} must be a list of at most ${MAX_SPEAKERS} speaker names`)
  const seen = new Set<string>()
  for (const speaker of value) {
    if (typeof speaker !== 'string' || speaker.trim() === '' || speaker !== speaker.trim() || [...speaker].length > MAX_SPEAKER_CHARS) {
      throw new ConfigError(`${field} must hold speaker names of 1 to ${MAX_SPEAKER_CHARS} characters without surrounding spaces`)
    }
    if (seen.has(speaker)) throw new ConfigError(`${field} lists "${speaker}" twice`)
    seen.add(speaker)
  }
  return value as string[]
}

function parseCanary(value: unknown, speakers: readonly string[], field: string): CanaryConfig {
  if (value === undefined) {
    return speakers.length > 0 ? { mode: 'sft', speaker: speakers[0]!, text: DEFAULT_CANARY_TEXT } : { mode: 'cross_lingual', text: DEFAULT_CANARY_TEXT }
  }
  if (typeof value !== 'object' || value === null) throw new ConfigError(`${field} must be an object`)
  const { mode, speaker, text = DEFAULT_CANARY_TEXT, ...rest } = value as Record<string, unknown>
  const unknown = Object.keys(rest)[0]
  if (unknown !== undefined) throw new ConfigError(`${field}.${unknown} is not a canary setting (mode, speaker, text)`)
  if (typeof text !== 'string' || text.trim() === '' || [...text].length > MAX_CANARY_CHARS) {
    throw new ConfigError(`${field}.text must be 1 to ${MAX_CANARY_CHARS} characters`)
  }
  if (mode === 'sft') {
    if (typeof speaker !== 'string' || !speakers.includes(speaker)) throw new ConfigError(`${field}.speaker must be one of this origin's speakers`)
    return { mode, speaker, text }
  }
  if (mode === 'cross_lingual') {
    if (speaker !== undefined) throw new ConfigError(`${field}.speaker is only for mode "sft"`)
    return { mode, text }
  }
  throw new ConfigError(`${field}.mode must be "sft" or "cross_lingual"`)
}
