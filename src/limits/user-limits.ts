import type { Principal } from '../auth/principal'
import type { Tier } from '../config/tiers'
import type { Env } from '../env'
import { ApiError } from '../http/api-error'
import { invalidToken } from '../http/bearer-challenge'
import { DenyCache } from './deny-cache'
import type { LimitCode, LimitSnapshot, SettleOutcome } from '../users/limit-types'
import { rateLimitHeaders } from './ratelimit-headers'
import { userObject } from '../users/user-stub'

const denials = new DenyCache()

const MESSAGES: Record<LimitCode, string> = {
  rate_limited: 'too many syntheses this minute',
  daily_quota: 'daily synthesis quota used up',
  concurrency: 'too many syntheses running at once',
  storage_quota: 'storage quota full: delete some audio or voices',
}


export interface Admission {
  headers: Record<string, string>
  /** Keeps the slot alive while audio streams. */
  renew(): Promise<void>
  /**
   * Frees the slot; charges quota only for a success. Safe to call more than once. Registered with
   * waitUntil, so it happens even when the client has gone (the request's own I/O is then cancelled).
   */
  settle(outcome: SettleOutcome): Promise<void>
}

/**
 * Admits one synthesis for the user or throws 429 with the code of the limit hit, Retry-After and
 * the RateLimit headers; 401 if the token was revoked. One Durable Object round trip, or none when
 * the user is known to be over.
 */
export async function admitSynthesis(env: Env, user: Principal, tier: Tier, requestId: string, waitUntil: (promise: Promise<unknown>) => void): Promise<Admission> {
  const now = Date.now()
  refuseIfKnownOverLimit(user, now)
  const stub = userObject(env, user)
  // The token's (or API key's) revocation check rides on this same call (auth/revocation-check.ts).
  const result = await stub.admit(tier, requestId, { jti: user.jti, issuedAt: user.issuedAt, apiKey: user.apiKey })
  if ('revoked' in result) throw invalidToken('token revoked', { internal: 'revoked at admission' })
  const headers = rateLimitHeaders(result.limits)
  if (!result.ok) {
    // A day counts running syntheses too; while one runs, a refund could reopen the day early.
    const firm = result.code !== 'daily_quota' || result.limits.concurrency.used === 0
    if (firm) denials.remember(denialKey(user), result.code, now + result.retryAfter * 1000, headers)
    throw limitError(result.code, result.retryAfter, headers)
  }
  let settled: Promise<void> | undefined
  return {
    headers,
    renew: async () => {
      if (!settled) await stub.renew(result.reservation)
    },
    settle: (outcome) => {
      if (!settled) {
        settled = stub.settle(result.reservation, outcome, tier).then(() => {})
        waitUntil(settled)
      }
      return settled
    },
  }
}

/** Throws the 429 this isolate already knows the user's object would give, without asking it. */
function refuseIfKnownOverLimit(user: Principal, now = Date.now()): void {
  const cached = denials.get(denialKey(user), now)
  if (cached) throw limitError(cached.code, Math.max(1, Math.ceil((cached.until - now) / 1000)), cached.headers)
}

export async function usageOf(env: Env, user: Principal, tier: Tier): Promise<LimitSnapshot> {
  return userObject(env, user).usage(tier)
}

function limitError(code: LimitCode, retryAfter: number, headers: Record<string, string>): ApiError {
  return new ApiError(429, code, MESSAGES[code], { headers: { ...headers, 'Retry-After': String(retryAfter) } })
}

/** Per user and role: the same user with a bigger tier's token is asked afresh. */
const denialKey = (user: Principal) => `${user.key}\n${user.role}`
