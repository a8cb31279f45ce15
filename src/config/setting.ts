import * as v from 'valibot'
import { ConfigError } from './config-error'

/**
 * One valibot schema per setting, and one way to read it: a value that does not fit is a
 * ConfigError naming the setting, with the schema's message, so the 500 says exactly what to fix.
 * (The integer settings use it; the JSON settings, ORIGINS, TIERS, AUTH_USERS, TRUSTED_ISSUERS, are
 * checked by their own parsers, whose messages name the place inside them.)
 */
export function readSetting<S extends v.GenericSchema>(name: string, schema: S, raw: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, raw)
  if (result.success) return result.output
  throw new ConfigError(`${name} ${result.issues[0].message}`)
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
