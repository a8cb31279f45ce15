// What every `npm run …` command of this repository does with its arguments: `--help` prints the
// usage and exits 0; a wrong, missing or unknown value prints one line naming it (no stack trace)
// and exits 2, the usual status of a usage error.
import { parseArgs } from 'node:util'

/** Thrown for a value a user got wrong; `runCli` prints its message alone. */
export class UsageError extends Error {}

/**
 * Parses `argv` with node:util's strict parseArgs (`options` as it takes them, plus `--help`).
 * Returns the values, or exits: 0 after printing `usage` for `--help`, 2 for anything it rejects.
 * @template {Record<string, import('node:util').ParseArgsConfig['options'] extends infer C ? C extends Record<string, infer V> ? V : never : never>} O
 * @param {{ name: string, usage: string, options: O, argv?: string[], allowPositionals?: boolean }} cli
 * @returns {{ values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string }, positionals: string[] }}
 */
export function parseCli({ name, usage, options, argv = process.argv.slice(2), allowPositionals = false }) {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true })
  } catch (error) {
    // parseArgs' messages name the option; its "To specify a positional argument…" hint is noise here.
    fail(
      name,
      `${String(/** @type {Error} */ (error).message)
        .split('\n')[0]
        .split('. ')[0]
        .replace(/\.$/, '')} (see --help)`,
    )
  }
  if (/** @type {{ help?: boolean }} */ (parsed.values).help) {
    process.stdout.write(`${usage.trim()}\n`)
    process.exit(0)
  }
  return /** @type {any} */ (parsed)
}

/** Prints `<name>: <message>` on stderr and exits 2. @returns {never} */
export function fail(name, message) {
  process.stderr.write(`${name}: ${message}\n`)
  process.exit(2)
}

/**
 * Runs a command's body: a UsageError becomes one line and exit 2, anything else (a bug, a port in
 * use) one line and exit 1.
 * @param {string} name
 * @param {() => Promise<void> | void} body
 */
export async function runCli(name, body) {
  try {
    await body()
  } catch (error) {
    if (error instanceof UsageError) fail(name, error.message)
    const e = /** @type {NodeJS.ErrnoException} */ (error)
    process.stderr.write(`${name}: ${e?.message ?? e}\n`)
    process.exit(1)
  }
}

/**
 * An integer in [min, max] from a flag or an environment variable, or a UsageError naming it.
 * @param {string | undefined} raw
 * @param {string} label  how the user wrote it: `--ttl`, `PORT`
 */
export function integerIn(raw, label, min, max) {
  const value = Number(raw)
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(value) || value < min || value > max)
    throw new UsageError(`${label} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw ?? '')}`)
  return value
}
