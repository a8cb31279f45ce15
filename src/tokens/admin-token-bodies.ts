import * as v from 'valibot'
import { MAX_SUB_CHARS } from '../auth/verify-token'

/** Shortest life of a minted token; the longest is TOKEN_MINT_MAX_TTL (checked by the route). */
export const MIN_MINT_TTL_SECONDS = 60

/** `POST /admin/tokens`: `role` must also be a configured tier, `ttl_seconds` at most TOKEN_MINT_MAX_TTL. */
export const MintBody = v.object(
  {
    sub: v.pipe(
      v.string('"sub" must be a string of 1 to 256 characters'),
      v.minLength(1, '"sub" must be a string of 1 to 256 characters'),
      v.maxLength(256, '"sub" must be a string of 1 to 256 characters'),
    ),
    role: v.optional(v.pipe(v.string('"role" must be one of the configured tiers'), v.description('a configured tier (default free)')), 'free'),
    scope: v.optional(v.pipe(v.string('"scope" must be space-separated scope names'), v.regex(/^[a-z]+( [a-z]+)*$/, '"scope" must be space-separated scope names'))),
    ttl_seconds: v.pipe(
      v.number(`"ttl_seconds" must be a whole number of seconds, at least ${MIN_MINT_TTL_SECONDS}`),
      v.integer(`"ttl_seconds" must be a whole number of seconds, at least ${MIN_MINT_TTL_SECONDS}`),
      v.minValue(MIN_MINT_TTL_SECONDS, `"ttl_seconds" must be a whole number of seconds, at least ${MIN_MINT_TTL_SECONDS}`),
    ),
  },
  'send {"sub": "...", "role"?: "free", "scope"?: "...", "ttl_seconds": 3600}',
)

/** 9999-12-31T23:59:59Z: no token the edge accepts expires later (auth/verify-token.ts). */
const LAST_NUMERIC_DATE = 253_402_300_799
const EXP_MESSAGE = `"exp" must be the token's expiry in seconds since the epoch, at most the end of year 9999`

/** `POST /admin/revoke`: `{jti}`, `{jti, sub, issuer, exp?}` or `{sub, issuer}`. */
export const RevokeBody = v.object(
  {
    jti: v.optional(v.pipe(v.string('"jti" must be a token id'), v.minLength(1, '"jti" must be a token id'), v.maxLength(256, '"jti" must be a token id'))),
    sub: v.optional(v.pipe(v.string('"sub" must be a user id'), v.minLength(1, '"sub" must be a user id'), v.maxLength(MAX_SUB_CHARS, '"sub" must be a user id'))),
    issuer: v.optional(v.string('"issuer" must be a string')),
    exp: v.optional(v.pipe(v.number(EXP_MESSAGE), v.integer(EXP_MESSAGE), v.minValue(1, EXP_MESSAGE), v.maxValue(LAST_NUMERIC_DATE, EXP_MESSAGE))),
  },
  'send {"jti": "..."} or {"sub": "...", "issuer": "..."}',
)
