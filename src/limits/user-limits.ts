import type { Principal } from '../auth/principal'
import type { Tier } from '../config/tiers'
import type { Env } from '../env'
import { ApiError, clientGone } from '../http/api-error'
import { invalidToken } from '../http/bearer-challenge'
import { LEASE_MS } from '../config/leases'
import { DenyCache } from './deny-cache'
import { IsolateLeases } from './isolate-leases'
import type { AdmitResult, LimitCode, LimitSnapshot, SettleOutcome } from '../users/limit-types'
import { rateLimitHeaders } from './ratelimit-headers'
import { userObject } from '../users/user-stub'

const denials = new DenyCache()
const leases = new IsolateLeases()

/**
 * How long a refusal that may clear early (a concurrency refusal: a synthesis in another isolate
 * can end at any moment) is answered from this isolate: the shortest Retry-After a 429 gives, so a
 * client that honours Retry-After never meets one.
 */
const SOFT_REFUSAL_MS = 1000

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
 * this isolate already knows the answer is no.
 */
export async function admitSynthesis(env: Env, user: Principal, tier: Tier, requestId: string, waitUntil: (promise: Promise<unknown>) => void): Promise<Admission> {
  return (await startAdmission(env, user, tier, requestId, waitUntil)).admission
}

/**
 * The admission in two steps, so that a caller can do something in parallel with the round trip
 * (admit-and-acquire.ts asks for the GPU slot meanwhile). Resolves once this isolate has decided to
 * ask the user's object, with the call in flight (wrapped: awaiting it is the caller's choice).
 * Throws the 429 at once, without a call, when this isolate knows the object would refuse:
 * - a refusal it remembers (deny-cache.ts: the minute or the day is full; a concurrency refusal
 *   less than a second old);
 * - the user's syntheses this isolate itself holds fill the tier's concurrency (isolate-leases.ts).
 * While admissions of the user already in flight here could fill the last slots, it waits for
 * their answers first: a flood over one connection asks one question at a time, not one each.
 */
export async function startAdmission(
  env: Env,
  user: Principal,
  tier: Tier,
  requestId: string,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<{ admission: Promise<Admission>; abandon: () => void }> {
  for (;;) {
    refuseIfKnownOverLimit(user, tier, Date.now())
    if (tier.concurrency === null || leases.held(user.key, Date.now()).count + leases.asking(user.key) < tier.concurrency) break
    await leases.answered(user.key)
  }
  const stub = userObject(env, user)
  // Lease times are taken before the call: the object's own lease ends no earlier than this.
  const askedAt = Date.now()
  // The token's (or API key's) revocation check rides on this same call (auth/revocation-check.ts).
  let reservation: string | undefined
  let abandoned = false
  const answer = leases.ask(
    user.key,
    stub.admit(tier, requestId, { jti: user.jti, issuedAt: user.issuedAt, apiKey: user.apiKey }).then((result) => {
      // Its client left first: the object ends (or never made) the lease, nothing to hold here.
      if (abandoned) return { ok: false as const, abandoned: true as const }
      // Recorded before anyone waiting on this answer looks again.
      if ('revoked' in result || 'abandoned' in result) return result
      if (result.ok) {
        reservation = result.reservation
        leases.hold(user.key, result.reservation, askedAt + LEASE_MS, rateLimitHeaders(result.limits))
      } else remember(user, result, Date.now())
      return result
    }),
  )
  return {
    admission: answer.then((result) => admission(stub, user, tier, result, waitUntil)),
    // The client left with the answer on its way: a cancelled request never reads it
    // (synthesis/client-gone.ts). Others must not wait on it here, nor the object keep its lease.
    abandon: () => {
      abandoned = true
      leases.forget(user.key, answer)
      // Like a settle: the hold here ends once the object has ended the lease, not before (until
      // then it would still refuse), and others wait for that instead of the answer.
      const ended = stub
        .abandon(requestId)
        .catch(() => {})
        .finally(() => {
          if (reservation) leases.release(user.key, reservation)
          denials.forgetSoft(user.key)
        })
      waitUntil(leases.ask(user.key, ended))
    },
  }
}

function admission(
  stub: ReturnType<typeof userObject>,
  user: Principal,
  tier: Tier,
  result: AdmitResult | { ok: false; revoked: true } | { ok: false; abandoned: true },
  waitUntil: (promise: Promise<unknown>) => void,
): Admission {
  if ('revoked' in result) throw invalidToken('token revoked', { internal: 'revoked at admission' })
  if ('abandoned' in result) throw clientGone()
  const headers = rateLimitHeaders(result.limits)
  if (!result.ok) throw limitError(result.code, result.retryAfter, headers)
  const { reservation } = result
  let settled: Promise<void> | undefined
  return {
    headers,
    renew: async () => {
      if (settled) return
      const at = Date.now()
      if (await stub.renew(reservation)) leases.renewed(user.key, reservation, at + LEASE_MS)
      else leases.release(user.key, reservation)
    },
    settle: (outcome) => {
      if (!settled) {
        settled = stub
          .settle(reservation, outcome, tier)
          .then(() => {})
          .finally(() => {
            // Only now, with the object settled: until then it would still refuse.
            leases.release(user.key, reservation)
            denials.forgetSoft(user.key)
          })
        waitUntil(settled)
      }
      return settled
    },
  }
}

/** Keeps a refusal in this isolate for as long as the object is sure to give it (deny-cache.ts). */
function remember(user: Principal, result: AdmitResult & { ok: false }, now: number): void {
  const retryAt = now + result.retryAfter * 1000
  const headers = rateLimitHeaders(result.limits)
  if (result.code === 'rate_limited' || (result.code === 'daily_quota' && result.limits.concurrency.used === 0)) {
    denials.remember(user.key, user.role, { code: result.code, until: retryAt, retryAt, headers, soft: false })
  } else if (result.code === 'concurrency' || result.code === 'daily_quota') {
    // A day counts running syntheses too: while one runs, a refund could reopen it early.
    denials.remember(user.key, user.role, { code: result.code, until: Math.min(retryAt, now + SOFT_REFUSAL_MS), retryAt, headers, soft: true })
  }
  // storage_quota is not kept: deleting audio frees space, on any isolate, at any moment.
}

/** Throws the 429 this isolate already knows the user's object would give, without asking it. */
function refuseIfKnownOverLimit(user: Principal, tier: Tier, now: number): void {
  const cached = denials.get(user.key, user.role, now)
  if (cached) throw limitError(cached.code, secondsUntil(cached.retryAt, now), cached.headers)
  if (tier.concurrency === null) return
  const held = leases.held(user.key, now)
  // As the object words it: the time until the first running synthesis' lease would lapse.
  if (held.count >= tier.concurrency) throw limitError('concurrency', secondsUntil(held.nextLapse ?? now, now), held.headers)
}

export async function usageOf(env: Env, user: Principal, tier: Tier): Promise<LimitSnapshot> {
  return userObject(env, user).usage(tier)
}

function limitError(code: LimitCode, retryAfter: number, headers: Record<string, string>): ApiError {
  return new ApiError(429, code, MESSAGES[code], { headers: { ...headers, 'Retry-After': String(retryAfter) } })
}

const secondsUntil = (at: number, now: number) => Math.max(1, Math.ceil((at - now) / 1000))
