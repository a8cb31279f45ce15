import type { Principal } from '../auth/principal'
import type { AppConfig } from '../config/app-config'
import { LEASE_RENEW_MS } from '../config/leases'
import type { Tier } from '../config/tiers'
import type { Env } from '../env'
import { ApiError, withHeaders } from '../http/api-error'
import { admitSynthesis, type Admission } from '../limits/user-limits'
import { acquireOriginSlot, type OriginSlot } from '../pool/pool-client'

export interface AdmitAndAcquireInput {
  env: Env
  config: AppConfig
  user: Principal
  tier: Tier
  requestId: string
  /** Origins the request cannot use (sft: those without its speaker). */
  exclude: readonly string[]
  /** The client's signal: leaving the pool's queue when it goes away. */
  clientSignal: AbortSignal
  waitUntil: (promise: Promise<unknown>) => void
}

/**
 * The user's admission (their Durable Object), then a GPU slot (the pool's, perhaps after a fair
 * wait). In that order, not in parallel: a user over their limits must never reach the one pool
 * object all users share, nor hold a place in its queue (measured, the parallel version saved about
 * one local round trip, inside this machine's noise: bench/NOTES.md). If the slot is refused, the
 * admission is settled as a failure (nothing charged). The admission's lease is kept alive while the request waits for a slot.
 */
export async function admitAndAcquire(input: AdmitAndAcquireInput): Promise<{ admission: Admission; slot: OriginSlot }> {
  const { env, config, user, tier, requestId, waitUntil } = input
  const admission = await admitSynthesis(env, user, tier, requestId, waitUntil)
  const renewal = setInterval(() => void admission.renew().catch(() => {}), LEASE_RENEW_MS)
  try {
    return { admission, slot: await acquireOriginSlot(env, config, { user: user.key, exclude: input.exclude, signal: input.clientSignal, waitUntil }) }
  } catch (e) {
    await admission.settle({ ok: false })
    throw e instanceof ApiError ? withHeaders(e, admission.headers) : e
  } finally {
    clearInterval(renewal)
  }
}
