import type { Principal } from '../auth/principal'
import type { AppConfig } from '../config/app-config'
import { LEASE_RENEW_MS } from '../config/leases'
import type { Tier } from '../config/tiers'
import type { Env } from '../env'
import { ApiError, withHeaders } from '../http/api-error'
import type { ServerTiming } from '../http/server-timing'
import { startAdmission, type Admission } from '../limits/user-limits'
import { onClientGone } from './client-gone'
import { acquireOriginSlot, acquireOriginSlotNow, type OriginSlot } from '../pool/pool-client'

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
  /** Records the `admission` and `pool` stages (they overlap). */
  timing: ServerTiming
}

/**
 * The user's admission (their Durable Object) and a GPU slot (the pool's), asked in parallel: one
 * round trip before the origin call instead of two, which on Cloudflare is a round trip to wherever
 * the pool lives (bench/NOTES.md, "latency model").
 *
 * Parallel without letting a user over their limits take anything from anyone:
 * - this isolate first refuses what it already knows the user's object would refuse, without
 *   asking either object (limits/user-limits.ts); only then are both asked;
 * - while the admission is undecided the pool is only asked for a slot that is free at once, never
 *   for a place in its queue (`acquireNow`). A refused admission gives such a slot straight back;
 *   it was free, so nobody was waiting for it;
 * - only an admitted request waits in the fair queue (a second pool round trip, when every GPU is
 *   busy and the wait is long anyway). The admission's lease is kept alive meanwhile.
 * If no slot is granted, the admission is settled as a failure (nothing charged).
 */
export async function admitAndAcquire(input: AdmitAndAcquireInput): Promise<{ admission: Admission; slot: OriginSlot }> {
  const { env, config, user, tier, requestId, waitUntil, timing } = input
  const slotRequest = { user: user.key, exclude: input.exclude, signal: input.clientSignal, waitUntil }
  const started = await startAdmission(env, user, tier, requestId, waitUntil)
  // Until both are answered, and while waiting in the queue, a client that leaves gets neither
  // answer read (client-gone.ts): the admission is given back from here, answered or not. (The pool
  // takes its ticket back itself: pool-client.ts.)
  let renewal: ReturnType<typeof setInterval> | null = null
  const stopWatching = onClientGone(input.clientSignal, () => {
    clearInterval(renewal)
    started.abandon()
  })
  try {
    const [admitted, freeSlot] = await Promise.allSettled([timing.time('admission', started.admission), timing.time('pool', acquireOriginSlotNow(env, config, slotRequest))])
    if (admitted.status === 'rejected') {
      if (freeSlot.status === 'fulfilled') void freeSlot.value?.release()
      throw admitted.reason
    }
    const admission = admitted.value
    if (freeSlot.status === 'fulfilled' && freeSlot.value) return { admission, slot: freeSlot.value }

    renewal = setInterval(() => void admission.renew().catch(() => {}), LEASE_RENEW_MS)
    try {
      if (freeSlot.status === 'rejected') throw freeSlot.reason
      return { admission, slot: await timing.time('queue', acquireOriginSlot(env, config, slotRequest)) }
    } catch (e) {
      await admission.settle({ ok: false })
      throw e instanceof ApiError ? withHeaders(e, admission.headers) : e
    }
  } finally {
    stopWatching()
    clearInterval(renewal)
  }
}
