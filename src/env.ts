import type { UserObject } from './users/user-object'

/** Bindings and settings from wrangler.toml, `.dev.vars` and `wrangler secret put`. */
export interface Env {
  AUDIO: R2Bucket
  USERS: DurableObjectNamespace<UserObject>
  /** HS256 key for edge-issued tokens (at least 32 bytes). Secret. */
  JWT_SECRET?: string
  JWT_ISSUER?: string
  JWT_AUDIENCE?: string
  /** JSON list of GPU machines, see config/origins.ts. */
  ORIGINS?: string
  /** Shared with the origins so they can refuse anything that did not come through the edge. Secret. */
  ORIGIN_SECRET?: string
  /** JSON tier overrides, see config/tiers.ts. */
  TIERS?: string
  // Links and shares (src/links/).
  /** HMAC key of signed download links /d/… (at least 32 bytes). Only the link routes need it. Secret. */
  LINK_SECRET?: string
  /** The LINK_SECRET being rotated out: links it signed still verify until they expire. Secret. */
  LINK_SECRET_PREVIOUS?: string
  /** Per-IP rate limit of the anonymous routes /d/… and /s/… (wrangler.toml [[ratelimits]]). */
  ANONYMOUS_LIMIT?: RateLimit
}
