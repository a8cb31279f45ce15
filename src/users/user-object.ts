import { DurableObject } from 'cloudflare:workers'
import type { Tier } from '../config/tiers'
import type { Env } from '../env'
import type { AdmitResult, LimitSnapshot, SettleOutcome } from './limit-types'
import { UsageLedger, type StoreReservation } from './usage-ledger'
import { AuditLog, type AuditEntry } from './audit-log'
import { RevocationLedger, type RevocationState, type TokenRef } from './revocation-ledger'
import { SessionLedger, type IssuedAccess, type NewSession, type RotateResult } from './session-ledger'
import { LoginThrottle, type ThrottlePolicy, type ThrottleResult } from './login-throttle'
import { ShareLedger, type Claim, type NewShare, type Share, type ShareRequest } from './share-ledger'
import { shareRef } from './share-ref'
import { ApiKeyLedger, apiKeyUsable, type ApiKey, type NewApiKey } from './api-key-ledger'

/** Live (unexpired, unrevoked) shares one user may have at once: keeps each object's table small. */
const MAX_ACTIVE_SHARES = 1000

/** Live (unexpired, unrevoked) API keys one user may have at once. */
const MAX_LIVE_API_KEYS = 50

/** How long a `jti` revoked without a known expiry stays revoked: longer than any token the edge mints. */
const MAX_REVOKED_JTI_MS = 31 * 86_400_000

/**
 * One per user (named by the user key, auth/user-key.ts): the single place where that user's
 * counters are exact, worldwide. Each concern keeps its own tables in the object's SQLite storage
 * and is a plain class over `SqlStorage`; this class is the RPC surface and the alarm.
 *
 * The ledgers are `#private`: TypeScript `private` is only a type annotation, and anything public
 * on a Durable Object can be called over RPC.
 */
export class UserObject extends DurableObject<Env> {
  readonly #usage: UsageLedger
  readonly #audit: AuditLog
  readonly #revocations: RevocationLedger
  readonly #sessions: SessionLedger
  readonly #logins: LoginThrottle
  readonly #shares: ShareLedger
  readonly #apiKeys: ApiKeyLedger

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.#usage = new UsageLedger(ctx.storage.sql)
    this.#audit = new AuditLog(ctx.storage.sql)
    this.#revocations = new RevocationLedger(ctx.storage.sql)
    this.#sessions = new SessionLedger(ctx.storage.sql, this.#revocations)
    this.#logins = new LoginThrottle(ctx.storage.sql)
    this.#shares = new ShareLedger(ctx.storage.sql)
    this.#apiKeys = new ApiKeyLedger(ctx.storage.sql)
  }

  // --- tokens: revocations, login sessions, login throttling (auth/, tokens/) ---

  revocationState(): RevocationState {
    return this.#revocations.state(Date.now())
  }

  /**
   * Revokes one token (`jti`, until `expiresAt` ms; with the login session it belongs to) or, with
   * `allBefore` (seconds), every token and session. Returns the other token ids revoked with it.
   */
  revokeTokens(change: { jti?: string; expiresAt?: number; allBefore?: number }): string[] {
    const now = Date.now()
    let alsoRevoked: string[] = []
    if (change.jti !== undefined) {
      this.#revocations.revokeJti(change.jti, change.expiresAt ?? now + MAX_REVOKED_JTI_MS, now)
      alsoRevoked = this.#sessions.endByAccessToken(change.jti, now)
    }
    if (change.allBefore !== undefined) {
      this.#revocations.revokeAllBefore(change.allBefore)
      this.#sessions.endAll()
      this.#apiKeys.revokeAll(now)
    }
    return alsoRevoked
  }

  startSession(session: NewSession): void {
    this.#sessions.start(session, Date.now())
  }

  rotateRefreshToken(oldHash: string, newHash: string, access: IssuedAccess, graceMs = 0): RotateResult {
    return this.#sessions.rotate(oldHash, newHash, access, Date.now(), graceMs)
  }

  /** Ends the session of a refresh token (by hash); returns the access token ids revoked with it. */
  endSessionOfRefreshToken(hash: string): string[] {
    return this.#sessions.endByRefreshToken(hash, Date.now())
  }

  /** Ends a session; returns the access token ids revoked with it. */
  endSession(session: string): string[] {
    return this.#sessions.end(session, Date.now())
  }

  beginLogin(policy: ThrottlePolicy): ThrottleResult {
    return this.#logins.begin(policy, Date.now())
  }

  loginSucceeded(attempt: string, forgetAll: boolean): void {
    this.#logins.succeeded(attempt, forgetAll)
  }

  // --- personal API keys (users/api-key-ledger.ts, auth/api-key-verify.ts) ---

  /** Null when the user already has MAX_LIVE_API_KEYS live keys. */
  createApiKey(key: NewApiKey): ApiKey | null {
    return this.#apiKeys.create(key, Date.now(), MAX_LIVE_API_KEYS)
  }

  listApiKeys(): ApiKey[] {
    return this.#apiKeys.list()
  }

  /** Null when there is no such key or it was already revoked. */
  revokeApiKey(id: string): ApiKey | null {
    return this.#apiKeys.revoke(id, Date.now())
  }

  /**
   * A key's one lookup, when the isolate has not seen it lately: the key if it may be used now
   * (recording the use, coarsely), and the user's revocations, so the same call refreshes the
   * isolate's copy of both (auth/api-key-verify.ts). Through revocationState(), so whatever closes
   * the user's tokens closes their keys.
   */
  verifyApiKey(id: string, hash: string): { key: ApiKey | null; revocations: RevocationState } {
    const now = Date.now()
    const revocations = this.revocationState()
    const key = this.#apiKeys.find(id, hash)
    if (!key || !apiKeyUsable(key, revocations.revokedBefore, now)) return { key: null, revocations }
    this.#apiKeys.touch(key, now)
    return { key, revocations }
  }

  // --- audit trail ---

  recordAudit(entry: AuditEntry): void {
    this.#audit.record(entry)
  }

  listAudit(limit: number, before?: number) {
    return this.#audit.list(limit, before)
  }

  // --- share links (users/share-ledger.ts) ---

  /** Null when the user already has MAX_ACTIVE_SHARES live shares. */
  createShare(share: NewShare): Share | null {
    const now = Date.now()
    if (this.#shares.activeCount(now) >= MAX_ACTIVE_SHARES) return null
    return this.#shares.create(share, now)
  }

  listShares(limit: number, before?: number) {
    return this.#shares.list(limit, before)
  }

  revokeShare(shareId: string): Share | null {
    return this.#shares.revoke(shareId, Date.now())
  }

  /** Audio was deleted: its bytes go back to the quota and its shares die, in one call. */
  forgetAudio(key: string, audioId: string): void {
    this.#usage.removeStored(key)
    this.#shares.revokeAudio(audioId, Date.now())
  }

  /** One anonymous request for a share: checked, counted, and each counted download audited, atomically. */
  async claimShare(shareId: string, request: ShareRequest, requestId: string): Promise<Claim> {
    // Hashed before the claim, so that check, count and audit entry stay one synchronous step.
    const ref = await shareRef(shareId)
    const now = Date.now()
    const claim = this.#shares.claim(shareId, request, now)
    if (claim.ok && claim.counted) {
      const { share } = claim
      this.#audit.record({
        at: now, action: 'share.download', resource: ref, status: 200, requestId, actor: 'anonymous',
        detail: { audio_id: share.audioId, client: request.client, download: share.downloads, max_downloads: share.maxDownloads },
      })
    }
    return claim
  }

  // --- limits ---

  /** Hot path, one round trip: check every limit and reserve a slot for one synthesis. */
  async admit(tier: Tier, requestId: string, token?: TokenRef & { apiKey?: string }): Promise<AdmitResult | { ok: false; revoked: true }> {
    // The revocation check rides on this call (auth/revocation-check.ts): exact, no extra round trip.
    if (token && this.#revocations.isRevoked(token, Date.now())) return { ok: false, revoked: true }
    if (token?.apiKey !== undefined && !this.#useApiKey(token.apiKey)) return { ok: false, revoked: true }
    const result = this.#usage.admit(tier, requestId, Date.now())
    if (result.ok) await this.#scheduleExpiry()
    return result
  }

  async renew(reservation: string): Promise<boolean> {
    const renewed = this.#usage.renew(reservation, Date.now())
    if (renewed) await this.#scheduleExpiry()
    return renewed
  }

  /** The end of a synthesis, whatever happened: frees the slot, charges only a success. */
  settle(reservation: string, outcome: SettleOutcome, tier: Tier): LimitSnapshot {
    this.#usage.settle(reservation, outcome, Date.now())
    return this.#usage.snapshot(tier, Date.now())
  }

  usage(tier: Tier): LimitSnapshot {
    this.#usage.expire(Date.now())
    return this.#usage.snapshot(tier, Date.now())
  }

  /** Counts an object about to be stored outside a synthesis (a voice upload), if it fits: usage-ledger.ts. */
  reserveStored(key: string, bytes: number, tier: Tier, cap?: { prefix: string; max: number }): StoreReservation {
    return this.#usage.reserveStored(key, bytes, tier, cap)
  }

  /** Gives back a deleted object's bytes. */
  removeStored(key: string): number {
    return this.#usage.removeStored(key)
  }

  /** Frees the slots of syntheses whose Worker died without settling. */
  override async alarm(): Promise<void> {
    this.#usage.expire(Date.now())
    await this.#scheduleExpiry()
  }

  /**
   * A synthesis with an API key: exact, like a token's revocation at admission. The "revoke
   * everything" cut-off was checked just before, on the key's TokenRef (auth/api-key-verify.ts).
   */
  #useApiKey(id: string): boolean {
    const now = Date.now()
    const key = this.#apiKeys.find(id)
    if (!key || !apiKeyUsable(key, null, now)) return false
    this.#apiKeys.touch(key, now)
    return true
  }

  async #scheduleExpiry(): Promise<void> {
    const next = this.#usage.nextExpiry()
    if (next === null) return
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > next) await this.ctx.storage.setAlarm(next)
  }
}
