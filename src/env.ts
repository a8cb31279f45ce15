/**
 * The Worker's bindings and settings.
 *
 * Bindings (AUDIO, DB, USERS, ORIGIN_POOL, …) and the [vars] of wrangler.toml come from
 * `npm run types` (worker-configuration.d.ts, generated and committed; CI fails when it is stale).
 * What wrangler.toml does not name is declared here: secrets (`wrangler secret put`, `.dev.vars`
 * locally) and optional settings. Each is optional because each is validated on first use, and a
 * missing or invalid one answers 500 naming it (README "Configuration" lists them all). They are
 * merged into wrangler's `Cloudflare.Env` rather than extending it: an interface extending it would
 * be its own base type through the Durable Object classes (`DurableObject<Env>`).
 */
declare global {
  namespace Cloudflare {
    interface Env {
      /** HS256 key for edge-issued tokens (at least 32 bytes). Secret. */
      JWT_SECRET?: string
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
      /** Web origins allowed to call the API from a browser, with credentials (src/config/cors-origins.ts). None by default. */
      CORS_ORIGINS?: string
      // Links and shares (src/links/).
      /** HMAC key of signed download links /d/… (at least 32 bytes). Only the link routes need it. Secret. */
      LINK_SECRET?: string
      /** The LINK_SECRET being rotated out: links it signed still verify until they expire. Secret. */
      LINK_SECRET_PREVIOUS?: string
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
  }
}

export type Env = Cloudflare.Env
