import * as v from 'valibot'
import { ConfigError } from './config-error'
import { readSetting } from './setting'

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
const SPEAKER_NAME = `must be a speaker name of 1 to ${MAX_SPEAKER_CHARS} characters without surrounding spaces`

/** An object's message: for a key it does not know (a misspelt one would otherwise be its default), a missing one, or the wrong type. */
const objectMessage =
  (what: string, known: readonly string[], notObject: string, only: Record<string, string> = {}) =>
  (issue: v.BaseIssue<unknown>) => {
    const key = issue.path?.at(-1)?.key
    if (key === undefined) return notObject
    if (issue.expected === 'never') return Object.hasOwn(only, String(key)) ? only[String(key)]! : `is not ${what} (${known.join(', ')})`
    return 'is required'
  }

const Speakers = v.pipe(
  v.array(
    v.pipe(
      v.string(SPEAKER_NAME),
      v.check((s) => s.trim() !== '' && s === s.trim() && [...s].length <= MAX_SPEAKER_CHARS, SPEAKER_NAME),
    ),
    `must be a list of at most ${MAX_SPEAKERS} speaker names`,
  ),
  v.maxLength(MAX_SPEAKERS, `must be a list of at most ${MAX_SPEAKERS} speaker names`),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    const twice = dataset.value.find((s, i) => dataset.value.indexOf(s) !== i)
    if (twice !== undefined) addIssue({ message: `lists "${twice}" twice` })
  }),
)

const CanaryText = v.optional(
  v.pipe(
    v.string(`must be 1 to ${MAX_CANARY_CHARS} characters`),
    v.check((t) => t.trim() !== '' && [...t].length <= MAX_CANARY_CHARS, `must be 1 to ${MAX_CANARY_CHARS} characters`),
  ),
  DEFAULT_CANARY_TEXT,
)
const CANARY_SETTINGS = ['mode', 'speaker', 'text']
const canaryMessage = objectMessage('a canary setting', CANARY_SETTINGS, 'must be an object', { speaker: 'is only for mode "sft"' })
const Canary = v.variant(
  'mode',
  [
    v.strictObject({ mode: v.literal('sft'), speaker: v.string("must be one of this origin's speakers"), text: CanaryText }, canaryMessage),
    v.strictObject({ mode: v.literal('cross_lingual'), text: CanaryText }, canaryMessage),
  ],
  (issue) => (issue.path ? 'must be "sft" or "cross_lingual"' : 'must be an object'),
)

const OriginEntry = v.pipe(
  v.unknown(),
  v.transform((entry) => (typeof entry === 'string' ? { url: entry } : entry)),
  v.strictObject(
    {
      url: v.pipe(
        v.string('is not a URL'),
        v.rawCheck(({ dataset, addIssue }) => {
          if (!dataset.typed) return
          const protocol = protocolOf(dataset.value)
          if (protocol !== 'http:' && protocol !== 'https:') addIssue({ message: protocol ? 'must be http(s)' : 'is not a URL' })
        }),
        v.transform((u) => new URL(u).href.replace(/\/$/, '')),
      ),
      concurrency: v.optional(v.pipe(v.number('must be a positive integer'), v.integer('must be a positive integer'), v.minValue(1, 'must be a positive integer')), 1),
      weight: v.optional(v.pipe(v.number('must be a positive number'), v.finite('must be a positive number'), v.gtValue(0, 'must be a positive number')), 1),
      model: v.optional(v.picklist(['cosyvoice3', 'cosyvoice2'], 'must be "cosyvoice3" or "cosyvoice2"'), 'cosyvoice3'),
      name: v.optional(v.nullable(v.pipe(v.string('must be a string of at most 64 characters'), v.maxLength(64, 'must be a string of at most 64 characters'))), null),
      speakers: v.optional(Speakers, []),
      canary: v.optional(Canary),
    },
    objectMessage('an origin setting', ORIGIN_SETTINGS, 'must be a URL or an object with "url"'),
  ),
  // The canary's speaker must be one the origin has: only the whole entry can tell.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    const { canary, speakers } = dataset.value
    if (canary?.mode !== 'sft' || speakers.includes(canary.speaker)) return
    const path = [
      { type: 'object', origin: 'value', input: dataset.value, key: 'canary', value: canary },
      { type: 'object', origin: 'value', input: canary, key: 'speaker', value: canary.speaker },
    ] as const
    addIssue({ message: "must be one of this origin's speakers", path: [...path] })
  }),
  v.transform(({ canary, ...origin }): OriginConfig => ({ ...origin, canary: canary ?? defaultCanary(origin.speakers) })),
)

const Origins = v.pipe(
  v.array(OriginEntry, 'must be a non-empty list'),
  v.minLength(1, 'must be a non-empty list'),
  // The pool counts slots per URL: two entries for one machine would let it run twice its concurrency.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    const urls = dataset.value.map((o) => o.url)
    const i = urls.findIndex((url, j) => urls.indexOf(url) !== j)
    const entry = dataset.value[i]
    if (!entry) return
    const path = [
      { type: 'array', origin: 'value', input: dataset.value, key: i, value: entry },
      { type: 'object', origin: 'value', input: { ...entry }, key: 'url', value: entry.url },
    ] as const
    addIssue({ message: 'is listed twice: give the machine one entry with its total concurrency', path: [...path] })
  }),
)

/** Parses `ORIGINS`: a JSON list of `{url, concurrency?, weight?, model?, name?, speakers?, canary?}` or of plain URLs. */
export function parseOrigins(raw: string | undefined): OriginConfig[] {
  if (!raw?.trim()) throw new ConfigError('ORIGINS is not set: list the CosyVoice servers to forward to')
  let parsed: unknown
  try {
    parsed = raw.trim().startsWith('[') ? JSON.parse(raw) : raw.split(',').map((s) => s.trim())
  } catch {
    throw new ConfigError('ORIGINS is not valid JSON')
  }
  return readSetting('ORIGINS', Origins, parsed)
}

function defaultCanary(speakers: readonly string[]): CanaryConfig {
  return speakers.length > 0 ? { mode: 'sft', speaker: speakers[0]!, text: DEFAULT_CANARY_TEXT } : { mode: 'cross_lingual', text: DEFAULT_CANARY_TEXT }
}

function protocolOf(url: string): string | null {
  try {
    return new URL(url).protocol
  } catch {
    return null
  }
}
