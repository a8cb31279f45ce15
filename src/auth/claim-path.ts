import { ConfigError } from '../config/config-error'

/** Where a claim sits in a token's payload: the keys from the top, e.g. `["realm_access", "roles"]`. */
export type ClaimPath = readonly string[]

/**
 * Reads a claim's location from TRUSTED_ISSUERS, in one of three unambiguous forms:
 * - a list of keys, `["realm_access", "roles"]` (Keycloak's realm roles);
 * - a JSON pointer (RFC 6901), `"/realm_access/roles"`: it starts with `/`, `~1` is a `/` and `~0` a `~`
 *   inside a key;
 * - any other string is one claim's whole name, dots, colons and slashes included:
 *   `"https://example.com/roles"` (Auth0's namespaced claims), `"scp"`, `"groups"`.
 * A string with a dot but no `/` or `:` (`"app.role"`) is refused as ambiguous: it was a dotted
 * path in older entries, and taking it now as one name would silently give every user the lowest
 * tier. `["app", "role"]` says the nested claim, `"/app.role"` the claim named `app.role`.
 */
export function parseClaimPath(value: unknown, name: string): ClaimPath {
  if (Array.isArray(value)) {
    if (value.length === 0 || !value.every((k) => typeof k === 'string' && k.length > 0))
      throw new ConfigError(`${name} must be a claim name, a JSON pointer or a non-empty list of keys`)
    return [...value] as string[]
  }
  if (typeof value !== 'string' || value.length === 0) throw new ConfigError(`${name} must be a claim name, a JSON pointer or a non-empty list of keys`)
  if (value.startsWith('/')) {
    const keys = value.slice(1).split('/')
    if (keys.some((k) => k === '' || /~(?![01])/.test(k))) throw new ConfigError(`${name} "${value}" is not a valid JSON pointer to a claim`)
    return keys.map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
  }
  if (value.includes('.') && !value.includes('/') && !value.includes(':'))
    throw new ConfigError(`${name} "${value}" is ambiguous: write ${JSON.stringify(value.split('.'))} for a nested claim, or "/${value}" for one claim of that name`)
  return [value]
}

/**
 * The legacy `role_claim` of older entries: a dotted path (`"app.role"` is `app` → `role`). Kept so
 * those entries still load; a name holding `/` or `:` (a namespaced claim) can only be written
 * with the newer `roles_claim`, which takes it whole.
 */
export function parseDottedPath(value: unknown, name: string): ClaimPath {
  if (typeof value !== 'string' || !value || value.split('.').some((k) => !k)) throw new ConfigError(`${name} must be a dotted claim path such as "app.role"`)
  if (value.includes('/') || value.includes(':'))
    throw new ConfigError(`${name} "${value}" is split on dots, so this claim can never be read: use "roles_claim": ${JSON.stringify(value)} instead`)
  return value.split('.')
}

/** The value at `path` in a token's payload, or undefined. Never follows inherited properties. */
export function claimAt(payload: unknown, path: ClaimPath): unknown {
  let value = payload
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** A path as an operator would write it, for logs and errors. */
export const describePath = (path: ClaimPath) => (path.length === 1 ? path[0]! : JSON.stringify(path))
