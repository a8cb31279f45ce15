import { claimAt, type ClaimPath } from './claim-path'
import type { RoleMapping } from './issuer-entry'
import { scopesOfRole, type Role, type Scope } from './principal'

/**
 * The edge tier of an external token: the first `role_map` entry whose IdP role the token holds,
 * else the entry's fallback (`free` unless set). A role the operator did not map grants nothing,
 * whatever it is called: an IdP's `admin` is no admin here unless `role_map` says so.
 */
export function externalRole(payload: unknown, roles: RoleMapping): Role {
  if (!roles.claim) return roles.fallback
  const held = strings(claimAt(payload, roles.claim))
  for (const [value, tier] of roles.map) if (held.includes(value)) return tier
  return roles.fallback
}

/**
 * The scopes of an external token: what its tier allows, narrowed by every configured scope claim
 * the token carries (`scope` "tts audio", `scp` ["tts"], `permissions` […]). A claim that is there
 * but unreadable (a number, an object) narrows to nothing: fail closed. Without any such claim the
 * token has every scope of its tier, as an edge token without `scope` does.
 */
export function externalScopes(payload: unknown, claims: readonly ClaimPath[] | null, role: Role): ReadonlySet<Scope> {
  let granted = scopesOfRole(role)
  for (const path of claims ?? []) {
    const value = claimAt(payload, path)
    if (value === undefined) continue
    const asked = typeof value === 'string' ? value.split(/\s+/) : strings(value)
    granted = granted.filter((s) => asked.includes(s))
  }
  return new Set(granted)
}

/** A claim as a list of strings: one string, or the strings of a list. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return []
}
