import type { AppConfig } from '../config/app-config'
import type { OriginConfig } from '../config/origins'
import type { Env } from '../env'
import { ApiError, clientGone } from '../http/api-error'
import { originForm } from '../origin/cosyvoice-form'
import type { OriginPool } from './origin-pool'
import type { AcquireResult, AttemptFailure, PoolPolicy, SlotReport } from './pool-types'
import { sha256Hex } from '../codecs/hex'
import { log } from '../log/log'

const CANARY_MAX_MS = 60_000
const names = new WeakMap<readonly OriginConfig[], Promise<string>>()
const policies = new WeakMap<AppConfig, PoolPolicy>()

/**
 * The pool object for a set of origins, named by a hash of them: a different ORIGINS is a different
 * pool (with fresh breakers and statistics), and pools of different configurations never share
 * slots. Changing ORIGINS therefore starts counting from zero; syntheses still running on the old
 * pool are not seen by the new one until they end, a minute or so.
 */
export async function poolStub(env: Env, origins: readonly OriginConfig[], locationHint?: DurableObjectLocationHint): Promise<DurableObjectStub<OriginPool>> {
  let name = names.get(origins)
  if (!name) {
    const canonical = JSON.stringify(origins.map(({ url, concurrency, weight, name }) => ({ url, concurrency, weight, name })))
    name = sha256Hex(canonical).then((hex) => `pool:${hex}`)
    names.set(origins, name)
  }
  // The hint (ORIGIN_POOL_LOCATION) places the object near its GPUs when the first call creates it;
  // without one it lives wherever that first call came from. It changes nothing afterwards.
  return env.ORIGIN_POOL.get(env.ORIGIN_POOL.idFromName(await name), locationHint ? { locationHint } : undefined)
}

export function poolPolicy(config: AppConfig): PoolPolicy {
  let policy = policies.get(config)
  if (!policy) {
    const { queuePerUser, queueMax, queueTimeoutMs, breakerFailures, breakerCooldownMs, firstByteTimeoutMs } = config.pool
    policy = {
      origins: config.origins.map(({ url, name, concurrency, weight, model, canary }) => ({
        url,
        name,
        concurrency,
        weight,
        canary: originForm(canary.mode === 'sft' ? { mode: 'sft', text: canary.text, speaker: canary.speaker } : { mode: 'cross_lingual', text: canary.text }, model),
      })),
      queuePerUser,
      queueMax,
      queueTimeoutMs,
      breakerFailures,
      breakerCooldownMs,
      // Well inside a slot lease (90 s), which the canary holds without renewing it.
      canaryTimeoutMs: Math.min(firstByteTimeoutMs, CANARY_MAX_MS),
    }
    policies.set(config, policy)
  }
  return policy
}

export interface SlotRequest {
  /** The user's key: fairness is per user. */
  user: string
  /** Origins the request cannot use (sft: those without its speaker). */
  exclude?: readonly string[]
  /** The client's signal: leaving the queue when it goes away. */
  signal: AbortSignal
  waitUntil: (promise: Promise<unknown>) => void
}

/**
 * A granted slot on one origin. The Worker holds it from the grant to the end of the synthesis and
 * must `release` it exactly then, however the synthesis ended; if the Worker dies instead, the lease
 * lapses in the pool by itself.
 */
export class OriginSlot {
  readonly #stub: DurableObjectStub<OriginPool>
  readonly #ticket: string
  readonly #request: SlotRequest
  readonly #origins: readonly OriginConfig[]
  readonly #tried: string[] = []
  #origin!: OriginConfig
  #ttfbMs: number | undefined
  #released = false

  constructor(stub: DurableObjectStub<OriginPool>, ticket: string, request: SlotRequest, origins: readonly OriginConfig[], granted: string) {
    this.#stub = stub
    this.#ticket = ticket
    this.#request = request
    this.#origins = origins
    this.#seat(granted)
  }

  get origin(): OriginConfig {
    return this.#origin
  }

  /** Origins tried so far, this one included. */
  get attempts(): number {
    return this.#tried.length
  }

  /** Audio started flowing, after this long: the success the pool will be told about. */
  started(ttfbMs: number): void {
    this.#ttfbMs = ttfbMs
  }

  /**
   * This origin failed before any audio: tells the pool (a `failure` counts against the origin, a
   * `suspected` one sends it the canary) and takes a slot on another origin the request can use, in
   * one round trip. False when the pool has no other origin for it; the slot is then already free.
   */
  async failover(report: { failure: AttemptFailure } | { suspected: AttemptFailure }): Promise<boolean> {
    const exclude = [...this.#tried, ...(this.#request.exclude ?? [])]
    const result = await untilGranted(this.#stub, this.#ticket, this.#request, () => this.#stub.failover(this.#ticket, this.#request.user, report, exclude))
    if (!result.ok) {
      this.#released = true
      return false
    }
    this.#seat(result.origin)
    return true
  }

  /** Frees the slot, through waitUntil so that it happens even when the client has gone. */
  release(outcome: { failure?: AttemptFailure; suspected?: AttemptFailure } = {}): Promise<void> {
    if (this.#released) return Promise.resolve()
    this.#released = true
    const report: SlotReport = outcome.failure
      ? { failure: outcome.failure }
      : outcome.suspected
        ? { suspected: outcome.suspected }
        : this.#ttfbMs === undefined
          ? {}
          : { ttfbMs: this.#ttfbMs }
    const released = this.#stub.release(this.#ticket, report).catch((e: unknown) => log.error({ pool_release_error: String(e) }))
    this.#request.waitUntil(released)
    return released
  }

  async renew(): Promise<void> {
    if (!this.#released) await this.#stub.renew(this.#ticket)
  }

  #seat(url: string): void {
    const origin = this.#origins.find((o) => o.url === url)
    if (!origin) throw new Error(`the pool granted an origin that is not configured: ${url}`)
    this.#origin = origin
    this.#tried.push(url)
  }
}

/**
 * Hot path, one round trip: a slot on an origin, perhaps after a fair wait. Throws 503
 * `origins_busy` (queue full or wait over) or `origins_unavailable` (every origin taken out), each
 * with Retry-After.
 */
export async function acquireOriginSlot(env: Env, config: AppConfig, request: SlotRequest): Promise<OriginSlot> {
  return (await slotFromPool(env, config, request, true))!
}

/**
 * Like acquireOriginSlot, but null instead of waiting: the pool grants a slot only if one is free
 * at once, and the request never joins its queue (what the Worker asks while the user's admission
 * is still undecided: synthesis/admit-and-acquire.ts).
 */
export async function acquireOriginSlotNow(env: Env, config: AppConfig, request: SlotRequest): Promise<OriginSlot | null> {
  return slotFromPool(env, config, request, false)
}

async function slotFromPool(env: Env, config: AppConfig, request: SlotRequest, wait: boolean): Promise<OriginSlot | null> {
  const stub = await poolStub(env, config.origins, config.poolLocation)
  const ticket = crypto.randomUUID()
  const policy = poolPolicy(config)
  const exclude = [...(request.exclude ?? [])]
  const result = await untilGranted(stub, ticket, request, () =>
    wait ? stub.acquire(policy, ticket, request.user, exclude) : stub.acquireNow(policy, ticket, request.user, exclude),
  )
  if (!result.ok && result.code === 'would_wait') return null
  if (!result.ok) throw refusal(result)
  const slot = new OriginSlot(stub, ticket, request, config.origins, result.origin)
  if (request.signal.aborted) {
    // Granted just as the client left: give it straight back.
    void slot.release()
    throw clientGone()
  }
  return slot
}

/** Waits for the pool, leaving its queue if the client goes away meanwhile. */
async function untilGranted(stub: DurableObjectStub<OriginPool>, ticket: string, request: SlotRequest, call: () => Promise<AcquireResult>): Promise<AcquireResult> {
  if (request.signal.aborted) throw clientGone()
  const leave = () => request.waitUntil(stub.cancel(ticket).catch(() => {}))
  request.signal.addEventListener('abort', leave, { once: true })
  try {
    return await call()
  } catch (e) {
    throw new ApiError(503, 'pool_unavailable', 'the voice servers cannot be reached right now', { headers: { 'Retry-After': '1' }, cause: e })
  } finally {
    request.signal.removeEventListener('abort', leave)
  }
}

function refusal(result: AcquireResult & { ok: false }): ApiError {
  const headers = { 'Retry-After': String(result.retryAfter) }
  switch (result.code) {
    case 'origins_busy':
      return new ApiError(503, 'origins_busy', 'every voice server is busy: try again shortly', { headers })
    case 'cancelled':
      return clientGone()
    default:
      return new ApiError(503, 'origins_unavailable', 'no voice server is available right now', { headers, internal: result.code })
  }
}
