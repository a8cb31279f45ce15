import { DurableObject } from 'cloudflare:workers'
import { LEASE_MS } from '../config/leases'
import type { Tier } from '../config/tiers'
import type { Env } from '../env'
import type { AdmitResult, LimitSnapshot, SettleOutcome } from './limit-types'
import { UsageLedger, type StoreReservation } from './usage-ledger'
import { AuditLog, type AuditEntry } from './audit-log'
import { RevocationLedger, type RevocationState, type TokenRef } from './revocation-ledger'
import { SessionLedger, type IssuedAccess, type IssuedAs, type NewSession, type RotateResult } from './session-ledger'
import { LoginThrottle, TRUSTED_DEVICE, UNTRUSTED_CLIENTS, type AttemptOutcome, type ThrottleResult } from './login-throttle'
import { ShareLedger, type Claim, type NewShare, type Share, type ShareRequest } from './share-ledger'
import { shareRef } from './share-ref'
import { AccountGate, type AccountSnapshot } from './account-gate'
import { AccountErasure, type ErasureProgress } from './account-erasure'
import { SessionInfo, type SessionDetails, type SessionOrigin } from './session-info'
import {
  noticeOf,
  TakedownLedger,
  type AdminAct,
  type HeldRefusal,
  type HoldResult,
  type Takedown,
  type TakedownKind,
  type TakedownNotice,
  type TakedownRequest,
} from './takedown-ledger'
import { OwnerIdentityLedger, type OwnerIdentity } from './owner-identity'
import { ApiKeyLedger, apiKeyUsable, type ApiKey, type NewApiKey } from './api-key-ledger'
import { VoiceTranscripts } from './voice-transcripts'

/** A share claim as routes see it: the ledger's answer, or a refusal because an admin holds it. */
export type ShareClaim = Claim | { ok: false; code: HeldRefusal }

export type CreateShareResult = { ok: true; share: Share } | { ok: false; code: 'too_many_shares' } | { ok: false; code: 'taken_down'; takedown: TakedownNotice }

/** Live (unexpired, unrevoked) shares one user may have at once: keeps each object's table small. */
const MAX_ACTIVE_SHARES = 1000

/** Live (unexpired, unrevoked) API keys one user may have at once. */
const MAX_LIVE_API_KEYS = 50
/** Abandoned request ids remembered at once: a user's own requests, so a few are all there ever are. */
const MAX_ABANDONED = 1000

/** How long a `jti` revoked without a known expiry stays revoked: longer than any token the edge mints. */
const MAX_REVOKED_JTI_MS = 31 * 86_400_000

/** What a closed account's revocation state says: every token, whenever issued, is revoked. */
const CLOSED: RevocationState = { revokedBefore: Number.MAX_SAFE_INTEGER, jtis: [] }

/** What applying an account change did, for the caller's isolate cache (auth/revocation-check.ts). */
export interface AccountApplied {
  applied: boolean
  /** The account is closed (disabled or deleted): every token of the user is refused. */
  closed: boolean
  revokedJtis: string[]
}

/** One of the user's login sessions, as they see it in their list. */
export interface SessionView extends SessionDetails {
  id: string
  expiresAt: number
  /** Where its tokens are held: an HttpOnly cookie session (a browser), or the client's own store (a body). */
  client: 'cookie' | 'bearer'
}

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
  readonly #gate: AccountGate
  readonly #sessionInfo: SessionInfo
  readonly #erasure: AccountErasure
  readonly #holds: TakedownLedger
  readonly #identity: OwnerIdentityLedger
  readonly #apiKeys: ApiKeyLedger
  readonly #transcripts: VoiceTranscripts
  /** Request ids whose client left before their admission's answer, until when (see abandon). */
  readonly #abandoned = new Map<string, number>()

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.#usage = new UsageLedger(ctx.storage.sql)
    this.#audit = new AuditLog(ctx.storage.sql)
    this.#revocations = new RevocationLedger(ctx.storage.sql)
    this.#sessions = new SessionLedger(ctx.storage.sql, this.#revocations)
    this.#logins = new LoginThrottle(ctx.storage.sql)
    this.#shares = new ShareLedger(ctx.storage.sql)
    this.#gate = new AccountGate(ctx.storage.sql)
    this.#sessionInfo = new SessionInfo(ctx.storage.sql)
    this.#erasure = new AccountErasure(ctx.storage.sql, env.AUDIO)
    this.#holds = new TakedownLedger(ctx.storage.sql)
    this.#identity = new OwnerIdentityLedger(ctx.storage.sql)
    this.#apiKeys = new ApiKeyLedger(ctx.storage.sql)
    this.#transcripts = new VoiceTranscripts(ctx.storage.sql)
  }

  // --- tokens: revocations, login sessions, login throttling (auth/, tokens/) ---

  revocationState(): RevocationState {
    if (!this.#gate.open) return CLOSED
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

  /** False when the account is closed: a login that raced a disable gets no session. */
  startSession(session: NewSession, origin: SessionOrigin = { userAgent: null }): boolean {
    if (!this.#gate.open) return false
    const now = Date.now()
    this.#sessions.start(session, now)
    this.#sessionInfo.record(session.id, origin, session.expiresAt, now)
    return true
  }

  rotateRefreshToken(oldHash: string, newHash: string, access: IssuedAccess, presentedAs: IssuedAs): RotateResult {
    if (!this.#gate.open) return { ok: false, reason: 'revoked', revokedJtis: [] }
    const now = Date.now()
    const result = this.#sessions.rotate(oldHash, newHash, access, now, presentedAs)
    if (result.ok) this.#sessionInfo.touch(result.session, now)
    return result
  }

  /** Ends the session of a refresh token (by hash); returns the access token ids revoked with it. */
  endSessionOfRefreshToken(hash: string): string[] {
    return this.#sessions.endByRefreshToken(hash, Date.now())
  }

  /** Ends a session; returns the access token ids revoked with it. */
  endSession(session: string): string[] {
    return this.#sessions.end(session, Date.now())
  }

  /** A login attempt for this username: from one of its trusted devices (`deviceId`), or from any other client. */
  beginLogin(deviceId: string | undefined): ThrottleResult {
    return deviceId === undefined ? this.#logins.begin('untrusted', UNTRUSTED_CLIENTS, Date.now()) : this.#logins.begin(`device:${deviceId}`, TRUSTED_DEVICE, Date.now())
  }

  settleLogin(attempt: string, outcome: AttemptOutcome, forgetBucket: boolean): void {
    this.#logins.settle(attempt, outcome, forgetBucket)
  }

  // --- the account (accounts/): its state from the directory, sessions, erasure ---

  /**
   * The directory's state of the account (accounts/account-sync.ts), applied only if newer than
   * what this object has: closing it ends every session and revokes every token so far; a role
   * change revokes the access tokens that carry the old role (a refresh gets the new one); a
   * password change ends every session but the one that made it.
   */
  applyAccount(snapshot: AccountSnapshot): AccountApplied {
    const change = this.#gate.apply(snapshot)
    const revokedJtis: string[] = []
    if (change.applied) {
      const now = Date.now()
      // API keys take the account's role whenever it is used (auth/api-key-verify.ts).
      this.#apiKeys.setRole(snapshot.role)
      if (change.closed) {
        // Every session's tokens by id, every API key, and every other token (minted for the user)
        // by issue time. The cut-off stops one second short: a login right after the account is
        // opened again, in the same second, must work (a token minted in that very second, before
        // the close, survives a reopening; session tokens and keys never do).
        revokedJtis.push(...this.#sessions.endAllExcept(null, now))
        this.#apiKeys.revokeAll(now)
        this.#revocations.revokeAllBefore(Math.floor(now / 1000) - 1)
        // Its shares and signed links answer their visitors "not available" (takedown-ledger.ts).
        this.#holds.suspend('account', now)
      } else {
        if (change.reopened) this.#holds.unsuspend()
        if (change.passwordChanged) revokedJtis.push(...this.#sessions.endAllExcept(change.keepSession, now))
        if (change.roleChanged) revokedJtis.push(...this.#sessions.revokeAccessTokens(now))
      }
    }
    return { applied: change.applied, closed: !this.#gate.open, revokedJtis }
  }

  /**
   * The account was deleted: closed for good at once (every token, session, refresh, synthesis and
   * share refused from here on), then its data erased by this object's alarm (account-erasure.ts).
   * Idempotent. Returns whether the erasure is still under way.
   */
  async beginErasure(jobId: string, userKey: string): Promise<{ running: boolean }> {
    const now = Date.now()
    if (this.#gate.markDeleted()) {
      this.#sessions.endAllExcept(null, now)
      this.#apiKeys.revokeAll(now)
      this.#holds.suspend('account', now)
    }
    const running = this.#erasure.begin(jobId, userKey, now)
    if (running) await this.ctx.storage.setAlarm(now)
    return { running }
  }

  /** Where the erasure of this deleted account stands; null if it was never deleted. */
  erasureProgress(): ErasureProgress | null {
    return this.#erasure.progress()
  }

  /** The user's live login sessions, newest first. */
  listSessions(): SessionView[] {
    const live = this.#sessions.live(Date.now())
    const details = this.#sessionInfo.details(live.map((s) => s.id))
    return live.map((s) => {
      const d = details.get(s.id)
      return {
        id: s.id,
        expiresAt: s.expiresAt,
        createdAt: d?.createdAt ?? s.authTime * 1000,
        lastUsedAt: d?.lastUsedAt ?? s.authTime * 1000,
        client: s.issuedAs === 'cookie' ? 'cookie' : 'bearer',
        userAgent: d?.userAgent ?? null,
      }
    })
  }

  /** Ends one live session of the user; null if there is none with this id. */
  endLiveSession(id: string): string[] | null {
    const now = Date.now()
    if (!this.#sessions.live(now).some((s) => s.id === id)) return null
    return this.#sessions.end(id, now)
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
    // A deleted account's object keeps only its tombstone: what old credentials still try is the log's.
    if (this.#gate.state === 'deleted') return
    this.#audit.record(entry)
  }

  listAudit(limit: number, before?: number) {
    return this.#audit.list(limit, before)
  }

  // --- share links (users/share-ledger.ts) ---

  /** Refused when the audio is taken down, or the user already has MAX_ACTIVE_SHARES live shares. */
  createShare(share: NewShare, owner: OwnerIdentity): CreateShareResult {
    const now = Date.now()
    const held = this.#holds.find('audio', share.audioId)
    if (held) return { ok: false, code: 'taken_down', takedown: noticeOf(held) }
    if (this.#shares.activeCount(now) >= MAX_ACTIVE_SHARES) return { ok: false, code: 'too_many_shares' }
    // A visitor's report of this share names its owner to the admin queue (owner-identity.ts).
    this.#identity.record(owner)
    return { ok: true, share: this.#shares.create(share, now) }
  }

  /** Newest first, each with the takedown that stops it (of the share itself, or of its audio). */
  listShares(limit: number, before?: number): { shares: (Share & { takedown: TakedownNotice | null })[]; next: number | null } {
    const { shares, next } = this.#shares.list(limit, before)
    return { shares: shares.map((s) => ({ ...s, takedown: this.#heldNotice(s) })), next }
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
  async claimShare(shareId: string, request: ShareRequest, requestId: string): Promise<ShareClaim> {
    // A deleted account's shares are gone (a disabled one's are suspended, below).
    if (this.#gate.state === 'deleted') return { ok: false, code: 'not_found' }
    // Hashed before the claim, so that check, count and audit entry stay one synchronous step.
    const ref = await shareRef(shareId)
    const now = Date.now()
    // Held shares (or shares of held audio) and a suspended account's shares are refused before
    // anything is counted: a takedown never costs the owner a download.
    const known = this.#shares.get(shareId)
    if (known && this.#holds.suspended()) return { ok: false, code: 'not_available' }
    if (known && this.#heldNotice(known)) return { ok: false, code: 'taken_down' }
    const claim = this.#shares.claim(shareId, request, now)
    if (claim.ok && claim.counted) {
      const { share } = claim
      this.#audit.record({
        at: now,
        action: 'share.download',
        resource: ref,
        status: 200,
        requestId,
        actor: 'anonymous',
        detail: { audio_id: share.audioId, client: request.client, download: share.downloads, max_downloads: share.maxDownloads },
      })
    }
    return claim
  }

  // --- takedowns and suspension (users/takedown-ledger.ts; the routes are in moderation/) ---

  /**
   * An admin takes one object down: held, its bytes lifted off the quota, the owner's identity
   * noted and the owner's audit trail written, in one step. A share must exist here (its
   * existence is this object's to say); an audio or voice the route has already found in R2.
   */
  takeDown(t: TakedownRequest): HoldResult | { ok: false; code: 'not_found' } {
    const now = Date.now()
    let detail = t.detail
    if (t.kind === 'share') {
      const share = this.#shares.get(t.objectId)
      if (!share) return { ok: false, code: 'not_found' }
      // The share row is dropped 30 days after it ends; the takedown keeps what it was.
      detail = {
        ...detail,
        audio_id: share.audioId,
        created_at: share.createdAt,
        expires_at: share.expiresAt,
        max_downloads: share.maxDownloads,
        downloads: share.downloads,
        revoked_at: share.revokedAt,
        note: share.note,
      }
    }
    const { owner, resource, requestId, ...held } = t
    const result = this.#holds.hold({ ...held, detail }, now, () => (t.objectKey ? this.#usage.removeStored(t.objectKey) : 0))
    if (!result.ok) return result
    this.#identity.record(owner)
    this.#audit.record({ at: now, action: 'takedown.create', resource, status: 201, requestId, actor: t.takenBy, detail: { kind: t.kind, reason: t.reason } })
    return result
  }

  /** An admin restores a held object: it is reachable again and counts against the quota again. */
  releaseTakedown(kind: TakedownKind, objectId: string, act: AdminAct): Takedown | null {
    const released = this.#holds.remove(kind, objectId)
    if (!released) return null
    if (released.objectKey && released.heldBytes > 0) this.#usage.addStored(released.objectKey, released.heldBytes)
    this.#audit.record({
      at: Date.now(),
      action: 'takedown.release',
      resource: act.resource,
      status: 200,
      requestId: act.requestId,
      actor: act.by,
      detail: { kind, reason: released.reason },
    })
    return released
  }

  /**
   * An admin ends a hold for good, once the object is gone from R2 (audio, voice) or to kill a
   * share: its shares die with it, and its bytes stay off the quota (also when a release raced
   * this purge and had given them back: the object is gone either way). Null when nothing was held.
   */
  purgeTakedown(kind: TakedownKind, objectId: string, objectKey: string | null, act: AdminAct): Takedown | null {
    const now = Date.now()
    const purged = this.#holds.remove(kind, objectId)
    if (objectKey) this.#usage.removeStored(objectKey)
    if (kind === 'audio') this.#shares.revokeAudio(objectId, now)
    if (kind === 'share') this.#shares.revoke(objectId, now)
    if (kind === 'voice' && objectKey) this.#transcripts.delete(objectKey)
    this.#audit.record({
      at: now,
      action: 'takedown.purge',
      resource: act.resource,
      status: 200,
      requestId: act.requestId,
      actor: act.by,
      detail: { kind, reason: purged?.reason ?? null },
    })
    return purged
  }

  takedown(kind: TakedownKind, objectId: string): Takedown | null {
    return this.#holds.find(kind, objectId)
  }

  listTakedowns(limit: number, before?: number) {
    return this.#holds.list(limit, before)
  }

  /** The hold on an object, if any (owner routes, signed links, synthesis with a voice). */
  takedownNotice(kind: TakedownKind, objectId: string): { takedown: TakedownNotice | null; suspended: boolean } {
    const held = this.#holds.find(kind, objectId)
    return { takedown: held ? noticeOf(held) : null, suspended: this.#holds.suspended() }
  }

  /** Which of these objects are held: one call for a listing page. */
  takedownsAmong(kind: TakedownKind, objectIds: string[]): TakedownNotice[] {
    return this.#holds.among(kind, objectIds)
  }

  /** Of these objects, the ones nobody but the owner may use now: the held ones, or all while suspended. */
  withheldFromOthers(kind: TakedownKind, objectIds: string[]): string[] {
    if (this.#holds.suspended()) return objectIds
    return this.#holds.among(kind, objectIds).map((n) => n.objectId)
  }

  /** Before an owner deletes an object: the hold that forbids it, or null (and the delete is announced). */
  announceDelete(kind: TakedownKind, objectId: string): TakedownNotice | null {
    const held = this.#holds.announceDelete(kind, objectId, Date.now())
    return held ? noticeOf(held) : null
  }

  /**
   * Hook for the accounts work (disabling a user): while suspended, every share and signed link of
   * the user answers its visitors a neutral "not available", and nothing is deleted. Idempotent.
   */
  setSuspended(suspended: boolean, by: string): void {
    if (suspended) this.#holds.suspend(by, Date.now())
    else this.#holds.unsuspend()
  }

  /** Hook for whatever deletes a user's data: these R2 keys are held as evidence and must stay. */
  heldKeys(): string[] {
    return this.#holds.heldKeys()
  }

  /** What an anonymous report of a share may tell the admin queue: the audio and the owner. */
  shareForReport(shareId: string): { audioId: string; owner: OwnerIdentity | null } | null {
    const share = this.#shares.get(shareId)
    return share ? { audioId: share.audioId, owner: this.#identity.get() } : null
  }

  #heldNotice(share: Share): TakedownNotice | null {
    const held = this.#holds.firstHeld([
      { kind: 'share', objectId: share.shareId },
      { kind: 'audio', objectId: share.audioId },
    ])
    return held ? noticeOf(held) : null
  }

  // --- limits ---

  /** Hot path, one round trip: check every limit and reserve a slot for one synthesis. */
  async admit(tier: Tier, requestId: string, token?: TokenRef & { apiKey?: string }): Promise<AdmitResult | { ok: false; revoked: true } | { ok: false; abandoned: true }> {
    // The revocation check rides on this call (auth/revocation-check.ts): exact, no extra round trip.
    if (!this.#gate.open || (token && this.#revocations.isRevoked(token, Date.now()))) return { ok: false, revoked: true }
    if (token?.apiKey !== undefined && !this.#useApiKey(token.apiKey)) return { ok: false, revoked: true }
    // Its client already left (abandon came first): nothing to admit, and nobody to tell.
    if (this.#abandoned.has(requestId)) return { ok: false, abandoned: true }
    const result = this.#usage.admit(tier, requestId, Date.now())
    if (result.ok) await this.#scheduleExpiry()
    return result
  }

  /**
   * The client of a request left while its admission was on its way (limits/user-limits.ts): the
   * lease it may hold ends uncharged, and an admit that arrives after this is refused. Remembered
   * in memory for a lease's length: the admit, sent first, is never later than that.
   */
  abandon(requestId: string): void {
    const now = Date.now()
    for (const [id, until] of this.#abandoned) if (until <= now || this.#abandoned.size > MAX_ABANDONED) this.#abandoned.delete(id)
    this.#abandoned.set(requestId, now + LEASE_MS)
    this.#usage.abandon(requestId)
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

  /**
   * Counts a voice about to be stored, if it fits the quota and the tier's voice cap
   * (usage-ledger.ts), and keeps its transcript (voice-transcripts.ts): one step.
   */
  reserveVoice(key: string, bytes: number, tier: Tier, cap: { prefix: string; max: number } | undefined, transcript: string): StoreReservation {
    if (!this.#gate.open) return { ok: false, reason: 'closed' }
    const reserved = this.#usage.reserveStored(key, bytes, tier, cap)
    if (reserved.ok) this.#transcripts.set(key, transcript)
    return reserved
  }

  /** A voice was deleted, or never stored: its bytes go back to the quota and its transcript goes. */
  forgetVoice(key: string): void {
    this.#usage.removeStored(key)
    this.#transcripts.delete(key)
  }

  /** The transcripts of these voices (by R2 key) that are kept here. */
  voiceTranscripts(keys: string[]): Record<string, string> {
    return this.#transcripts.many(keys)
  }

  /** What a synthesis with one of this user's voices asks of them, in one call: its takedown state and, if wanted, its transcript. */
  voiceForSynthesis(voiceId: string, key: string, withTranscript: boolean): { takedown: TakedownNotice | null; suspended: boolean; transcript: string | undefined } {
    return { ...this.takedownNotice('voice', voiceId), transcript: withTranscript ? this.#transcripts.many([key])[key] : undefined }
  }

  /** Frees the slots of syntheses whose Worker died without settling; erases a deleted account step by step. */
  override async alarm(): Promise<void> {
    this.#usage.expire(Date.now())
    const next = await this.#erasure.step(Date.now(), this.#usage.nextExpiry(), new Set(this.#holds.heldKeys()))
    if (next !== null) await this.ctx.storage.setAlarm(next)
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
