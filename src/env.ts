import type { ModerationQueue } from './moderation/moderation-queue'
import type { OriginPool } from './pool/origin-pool'
import type { LoginAddressObject } from './accounts/login-address-object'
import type { UserObject } from './users/user-object'

/** Bindings and settings from wrangler.toml, `.dev.vars` and `wrangler secret put`. */
export interface Env {
  AUDIO: R2Bucket
  /** The account directory (src/accounts/user-directory.ts; schema in migrations/). */
  DB?: D1Database
  USERS: DurableObjectNamespace<UserObject>
  /** Admission to the origins, one object per ORIGINS configuration (src/pool/origin-pool.ts). */
  ORIGIN_POOL: DurableObjectNamespace<OriginPool>
  /** Failed logins per client address, across usernames (src/accounts/login-address-object.ts). */
  LOGIN_ADDRESSES: DurableObjectNamespace<LoginAddressObject>
  /** Reports from share pages awaiting an admin, one object (src/moderation/moderation-queue.ts). */
  MODERATION: DurableObjectNamespace<ModerationQueue>
  /** HS256 key for edge-issued tokens (at least 32 bytes). Secret. */
  JWT_SECRET?: string
  JWT_ISSUER?: string
  JWT_AUDIENCE?: string
  /** JSON list of GPU machines, see config/origins.ts. */
  ORIGINS?: string
  /** Web origins allowed to call the API from a browser, with credentials (src/config/cors-origins.ts). None by default. */
  CORS_ORIGINS?: string
  /** Shared with the origins so they can refuse anything that did not come through the edge. Secret. */
  ORIGIN_SECRET?: string
  // Origin pool and timeouts (src/config/pool-settings.ts documents each).
  ORIGIN_FIRST_BYTE_TIMEOUT_MS?: string
  ORIGIN_IDLE_TIMEOUT_MS?: string
  ORIGIN_QUEUE_TIMEOUT_MS?: string
  ORIGIN_QUEUE_PER_USER?: string
  ORIGIN_QUEUE_MAX?: string
  ORIGIN_BREAKER_FAILURES?: string
  ORIGIN_BREAKER_COOLDOWN_MS?: string
  /** Location hint of the origin pool's Durable Object, e.g. `enam` (src/config/pool-location.ts). */
  ORIGIN_POOL_LOCATION?: string
  /** JSON tier overrides, see config/tiers.ts. */
  TIERS?: string
  // Links and shares (src/links/).
  /** HMAC key of signed download links /d/… (at least 32 bytes). Only the link routes need it. Secret. */
  LINK_SECRET?: string
  /** The LINK_SECRET being rotated out: links it signed still verify until they expire. Secret. */
  LINK_SECRET_PREVIOUS?: string
  /** Per-IP rate limit of the anonymous routes /d/… and /s/… (wrangler.toml [[ratelimits]]). */
  ANONYMOUS_LIMIT?: RateLimit
  // Token service (src/auth/auth-config.ts documents each).
  /**
   * Legacy: JSON username → {role, PBKDF2 password hash}, the accounts before the D1 directory.
   * Imported into it once (accounts/legacy-import.ts), then ignored. Secret.
   */
  AUTH_USERS?: string
  ACCESS_TTL?: string
  REFRESH_TTL?: string
  TOKEN_MINT_MAX_TTL?: string
  REVOCATION_CACHE_SECONDS?: string
  /** Private ES256/EdDSA JWK (with kid) the edge signs with instead of HS256. Secret. */
  SIGNING_JWK?: string
  /** The key SIGNING_JWK replaced, still accepted during a rotation. Secret. */
  SIGNING_JWK_PREVIOUS?: string
  /** JSON list of external identity providers, see auth/trusted-issuers.ts (entries: auth/issuer-entry.ts). */
  TRUSTED_ISSUERS?: string
}
