import * as v from 'valibot'
import { ConfigError } from './config-error'

/**
 * One valibot schema per setting, and one way to read it: a value that does not fit is a
 * ConfigError naming the setting, with the schema's message, so the 500 says exactly what to fix.
 * A JSON setting's message names the place inside it too (`ORIGINS[0].concurrency must be …`).
 * TRUSTED_ISSUERS keeps its own parser: a broken entry takes out only that issuer (trusted-issuers.ts).
 */
export function readSetting<S extends v.GenericSchema>(name: string, schema: S, raw: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, raw)
  if (result.success) return result.output
  const [issue] = result.issues
  throw new ConfigError(`${name}${placeOf(issue)} ${issue.message}`)
}

/** Where inside a JSON setting the issue is, as its author would write it: `[0].canary.speaker`. */
function placeOf(issue: v.GenericIssue): string {
  return (issue.path ?? []).map((item) => (typeof item.key === 'number' ? `[${item.key}]` : `.${String(item.key)}`)).join('')
}

/**
 * A whole number in [min, max] from a var (a string, or a number when wrangler.toml writes one
 * bare); absent or blank means `fallback`.
 */
export function integerSetting(fallback: number, min: number, max: number, unit = '') {
  const message = `must be a whole number${unit} from ${min} to ${max}`
  return v.pipe(
    v.optional(v.union([v.string(), v.number()]), ''),
    v.transform((raw) => String(raw).trim()),
    v.transform((text) => (text === '' ? fallback : Number(text))),
    v.number(message),
    v.integer(message),
    v.minValue(min, message),
    v.maxValue(max, message),
  )
}

/**
 * A JSON object setting of name → entry (TIERS, AUTH_USERS), each entry read by its own schema and
 * its errors named `SETTING.<name>.…`. Not valibot's `record`: it skips `__proto__`, `constructor`
 * and `prototype` without a word, and a name an operator chose must never vanish silently.
 */
export function readNamedEntries<E extends v.GenericSchema>(
  setting: string,
  raw: unknown,
  entry: E,
  rules: { name: RegExp; nameMessage: string; shape: string },
): [string, v.InferOutput<E>][] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${setting} ${rules.shape}`)
  return Object.entries(raw).map(([name, value]) => {
    if (!rules.name.test(name)) throw new ConfigError(`${setting}.${name} ${rules.nameMessage}`)
    return [name, readSetting(`${setting}.${name}`, entry, value)]
  })
}
