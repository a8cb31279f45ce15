/**
 * What the Worker and the OriginPool Durable Object say to each other. Plain data only: these cross
 * the RPC boundary.
 */

/** The part of the configuration the pool decides with, sent along with every acquire. */
export interface PoolPolicy {
  origins: { url: string; name: string | null; concurrency: number; weight: number }[]
  queuePerUser: number
  queueMax: number
  queueTimeoutMs: number
  breakerFailures: number
  breakerCooldownMs: number
}

export type RefusalCode =
  /** Every slot is taken and the queue is full, or the wait ran out. */
  | 'origins_busy'
  /** Every origin is taken out by its breaker. */
  | 'origins_unavailable'
  /** Failover found no origin it has not tried yet. */
  | 'no_other_origin'
  /** The caller gave up (the client went away). */
  | 'cancelled'
  /** `acquireNow` only: no slot is free at once, and the request did not join the queue. */
  | 'would_wait'

export type AcquireResult = { ok: true; origin: string; trial: boolean } | { ok: false; code: RefusalCode; retryAfter: number }

/** Why an attempt on an origin failed: the ApiError code of the failure, and what the log says. */
export interface AttemptFailure {
  code: string
  detail?: string
}

/**
 * How a slot ended. A `failure` counts against the origin's breaker; a `ttfbMs` without failure is
 * a success (audio flowed); neither (cancelled before any audio) is neutral.
 */
export interface SlotReport {
  ttfbMs?: number
  failure?: AttemptFailure
  /** A 200 with no audio: maybe the origin, maybe the request (synthesis/synthesize.ts). */
  suspected?: AttemptFailure
  /**
   * An earlier origin of the same request that answered with no audio, now shown to be at fault
   * because this one synthesized the same request (see synthesis/synthesize.ts).
   */
  blame?: { origin: string; failure: AttemptFailure }
}

export interface OriginStatus {
  url: string
  name: string | null
  concurrency: number
  weight: number
  state: BreakerState
  in_flight: number
  consecutive_failures: number
  opened_at: string | null
  next_probe_at: string | null
  succeeded: number
  failed: number
  ttfb_ms: { p50: number | null; p95: number | null; samples: number }
  recent_errors: { at: string; code: string; detail: string | null }[]
}

export interface PoolStatus {
  origins: OriginStatus[]
  queue: { waiting: number; users: number; limit: number; per_user_limit: number; timeout_ms: number }
}

/** closed: serving; open: taken out, waiting for a probe; half_open: probed healthy, one trial request allowed. */
export type BreakerState = 'closed' | 'open' | 'half_open'
