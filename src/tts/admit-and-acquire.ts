import type { Principal } from '../auth/principal'
import type { AppConfig } from '../config/app-config'
import type { Tier } from '../config/tiers'
import type { Env } from '../env'
import { ApiError, withHeaders } from '../http/api-error'
import { admitSynthesis, refuseIfKnownOverLimit, type Admission } from '../limits/user-limits'
import { acquireOriginSlot, type OriginSlot } from '../pool/pool-client'

export interface AdmitAndAcquireInput {
  env: Env
  config: AppConfig
  user: Principal
  tier: Tier
  requestId: string
  /** The client's signal: leaving the pool's queue when it goes away. */
  clientSignal: AbortSignal
  waitUntil: (promise: Promise<unknown>) => void
}

/**
 * The user's admission (their Durable Object) and a GPU slot (the pool's) asked for at the same
 * time, so the wait before the first byte is one round trip instead of two. If either is refused,
 * the other is given back: a refused admission cancels the pool request (or frees the slot if it
 * was already granted), a refused slot settles the admission as a failure (nothing charged).
 *
 * A user this isolate already knows to be over a limit is refused before either call, so a flood
 * costs neither object anything.
 */
export async function admitAndAcquire(input: AdmitAndAcquireInput): Promise<{ admission: Admission; slot: OriginSlot }> {
  const { env, config, user, tier, requestId, waitUntil } = input
  refuseIfKnownOverLimit(user)
  const admissionRefused = new AbortController()
  const admitting = admitSynthesis(env, user, tier, requestId)
  admitting.catch(() => admissionRefused.abort())
  const acquiring = acquireOriginSlot(env, config, { user: user.key, signal: AbortSignal.any([input.clientSignal, admissionRefused.signal]), waitUntil })
  const [admission, slot] = await Promise.allSettled([admitting, acquiring])
  if (admission.status === 'rejected') {
    if (slot.status === 'fulfilled') void slot.value.release()
    throw admission.reason
  }
  if (slot.status === 'rejected') {
    await admission.value.settle({ ok: false })
    throw slot.reason instanceof ApiError ? withHeaders(slot.reason, admission.value.headers) : slot.reason
  }
  return { admission: admission.value, slot: slot.value }
}
