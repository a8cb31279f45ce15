// Reads and creates `.dev.vars`, the local secrets file wrangler dev loads (never committed).
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const DEV_VARS_PATH = fileURLToPath(new URL('../.dev.vars', import.meta.url))

/** The secrets a fresh checkout needs; each gets 32 random bytes. */
const GENERATED = ['JWT_SECRET', 'ORIGIN_SECRET', 'LINK_SECRET']

/** @returns {Record<string, string>} */
export function readDevVars(path = DEV_VARS_PATH) {
  if (!existsSync(path)) return {}
  /** @type {Record<string, string>} */
  const vars = {}
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line)
    if (!m) continue
    let value = m[2]
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1)
    vars[m[1]] = value
  }
  return vars
}

/**
 * Writes `.dev.vars` with fresh random secrets on first run. An existing file is never overwritten;
 * a secret missing from it is appended.
 */
export function ensureDevVars(path = DEV_VARS_PATH) {
  const existing = readDevVars(path)
  const missing = GENERATED.filter((name) => !existing[name])
  if (missing.length === 0) return { created: false, added: [] }
  const lines = missing.map((name) => `${name}="${randomBytes(32).toString('base64url')}"`)
  const header = existsSync(path) ? '' : '# Local secrets for `npm run dev` (generated; never commit this file).\n'
  const before = existsSync(path) ? readFileSync(path, 'utf8') : ''
  writeFileSync(path, `${before}${before && !before.endsWith('\n') ? '\n' : ''}${header}${lines.join('\n')}\n`, { mode: 0o600 })
  return { created: !before, added: missing }
}
