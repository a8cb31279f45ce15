/**
 * What the Worker and the OriginPool Durable Object say to each other. Plain data only: these cross
 * the RPC boundary.
 */
import type { OriginForm } from '../origin/cosyvoice-form'

/** The part of the configuration the pool decides with, sent along with every acquire. */
export interface PoolPolicy {
  origins: {
    url: string
    name: string | null
    concurrency: number
    weight: number
    /** The origin's canary, as the form to send it (the markers of its model included). */
    canary: OriginForm
  }[]
  queuePerUser: number
  queueMax: number
  queueTimeoutMs: number
  breakerFailures: number
  breakerCooldownMs: number
  /** How long a canary may take to start sending audio, and then to finish. */
  canaryTimeoutMs: number
}

export type RefusalCode =
  /** Every slot is taken and the queue is full, or the wait ran out. */
  | 'origins_busy'
  /** Every origin this request may use is taken out by its breaker. */
  | 'origins_unavailable'
  /** Failover found no origin it has not tried yet. */
  | 'no_other_origin'
  /** The caller gave up (the client went away). */
  | 'cancelled'

export type AcquireResult = { ok: true; origin: string } | { ok: false; code: RefusalCode; retryAfter: number }

/** Why an attempt on an origin failed: the ApiError code of the failure, and what the log says. */
export interface AttemptFailure {
  code: string
  detail?: string
}

/**
 * How a slot ended. A `failure` is evidence against the origin (it could not be reached, answered
 * 5xx, or did not answer in time) and counts toward its breaker. A `suspected` failure is an answer
 * without audio, or a stream that broke: the request may be at fault as much as the origin, so it
 * counts only if the origin then fails its canary. A `ttfbMs` without either is a success (audio
 * flowed); nothing at all (cancelled before any audio) is neutral.
 */
export interface SlotReport {
  ttfbMs?: number
  failure?: AttemptFailure
  suspected?: AttemptFailure
}

export interface OriginStatus {
  url: string
  name: string | null
  concurrency: number
  weight: number
  state: BreakerState
  /** Why the breaker opened, while it is open. */
  out_because: string | null
  in_flight: number
  consecutive_failures: number
  opened_at: string | null
  next_probe_at: string | null
  succeeded: number
  failed: number
  ttfb_ms: { p50: number | null; p95: number | null; samples: number }
  recent_errors: { at: string; code: string; detail: string | null }[]
  canary: CanaryStatus
  suspicions: SuspicionStatus
}

export interface CanaryStatus {
  /** idle; due (wanted, waiting for a free slot); running. */
  state: 'idle' | 'due' | 'running'
  last: { at: string; ok: boolean; detail: string } | null
  passed: number
  failed: number
}

export interface SuspicionStatus {
  pending: number
  cleared: number
  confirmed: number
  /** The latest, newest first, each with its verdict and why. */
  recent: { at: string; code: string; detail: string | null; verdict: SuspicionVerdict; reason: string | null; settled_at: string | null }[]
}

/** pending: waiting for the canary; cleared: the canary passed; confirmed: the canary failed. */
export type SuspicionVerdict = 'pending' | 'cleared' | 'confirmed'

/** One of the caller's requests waiting for a GPU (`GET /v1/queue`). */
export interface QueuePlace {
  /** 1 = the next to get a slot. */
  position: number
  ahead: number
  waiting_since: string
  /** Rough seconds until it starts; null before any synthesis has been timed. */
  estimate_seconds: number | null
}

export interface PoolStatus {
  origins: OriginStatus[]
  queue: { waiting: number; users: number; limit: number; per_user_limit: number; timeout_ms: number }
}

/** closed: serving; open: taken out until its canary passes (probed after each cooldown). */
export type BreakerState = 'closed' | 'open'
