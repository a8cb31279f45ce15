/** A token's `role` claim; it picks the tier (config/tiers.ts), unknown roles getting free rights. */
export type Role = string

export const SCOPES = ['tts', 'audio', 'voices', 'share', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/**
 * Whose accounts an admin may act on. `all`: every user, and minting edge tokens (the edge's own
 * admins, or an identity provider whose TRUSTED_ISSUERS entry says `"admin_reach": "all"`).
 * `issuer`: only the users of the admin's own issuer (every other identity provider's admin).
 */
export type AdminReach = 'all' | 'issuer'

/** The scopes a role may hold: all of them, `admin` only for the admin role. */
export const scopesOfRole = (role: Role): Scope[] => SCOPES.filter((s) => s !== 'admin' || role === 'admin')

/** The verified caller. Everything user-specific (R2 prefix, Durable Object) derives from `key`. */
export interface Principal {
  /** The token's `sub`, as the issuer wrote it. For display and logs only. */
  sub: string
  /** Collision-free, path-safe id derived from (issuer, sub): see user-key.ts. */
  key: string
  issuer: string
  role: Role
  scopes: ReadonlySet<Scope>
  /** Whose accounts this caller administers, if its role is admin. */
  adminReach: AdminReach
  jti: string | undefined
  issuedAt: number | undefined
  expiresAt: number
  /** When the user last proved who they are (`auth_time`, else `iat`): see fresh-auth.ts. */
  authTime: number | undefined
  /** The login session (refresh-token family) an edge token belongs to, if any. */
  sessionId: string | undefined
  /** The id of the personal API key the caller used, if it was one (api-key-verify.ts). */
  apiKey?: string
}

/**
 * Who acted, as an audit entry written to someone else's trail names them: with the key's id when
 * they used an API key (`alice via api_key:…`), so every action taken with a key can be traced to it.
 */
export const actorOf = (p: Principal): string => (p.apiKey !== undefined ? `${p.sub} via api_key:${p.apiKey}` : p.sub)
