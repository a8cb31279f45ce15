export type LimitCode = 'rate_limited' | 'daily_quota' | 'concurrency' | 'storage_quota'

/** One limit's state, as shown in headers and `GET /v1/usage`. `limit` null = unlimited. */
export interface LimitState {
  limit: number | null
  used: number
  remaining: number | null
  /** Seconds until it resets (or a slot/space frees up, for concurrency and storage). */
  resetSeconds: number
}

export interface LimitSnapshot {
  minute: LimitState
  day: LimitState
  concurrency: LimitState
  storage: LimitState
}

export type AdmitResult = { ok: true; reservation: string; limits: LimitSnapshot } | { ok: false; code: LimitCode; retryAfter: number; limits: LimitSnapshot }

/**
 * How a synthesis ended, for the ledger. A failure is refunded, unless the GPU did the work and the
 * client walked away from it (`charge`): leaving just before the end must not make audio free.
 */
export type SettleOutcome = { ok: true; storedKey: string; bytes: number } | { ok: false; charge?: boolean }
