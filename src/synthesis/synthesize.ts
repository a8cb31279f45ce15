import type { RelayOutcome } from './synthesis-relay'
import type { OriginConfig } from '../config/origins'
import { ApiError } from '../http/api-error'
import type { OriginSlot } from '../pool/pool-client'
import type { AttemptFailure } from '../pool/pool-types'
import { EmptyAudioError, openOriginStream, type OriginCallInput, type OpenOriginStream } from '../origin/origin-call'

/** Origins per request: the granted one, then one other if it failed before any audio. */
const MAX_ATTEMPTS = 2

export type SynthesisCall = Omit<OriginCallInput, 'form'> & { form: (origin: OriginConfig) => OriginCallInput['form'] }

/**
 * Starts a synthesis on the slot's origin, moving the slot to one other origin if the first refuses
 * or fails before the first audio byte. Never retried after audio started flowing (the client
 * already has it). On every failure the slot is released here, before the error reaches the
 * client; on success the caller owns the slot and releases it when the stream ends.
 */
export async function startSynthesis(slot: OriginSlot, input: SynthesisCall): Promise<OpenOriginStream> {
  for (;;) {
    const started = Date.now()
    try {
      const open = await openOriginStream(slot.origin, { ...input, form: input.form(slot.origin) })
      slot.started(Date.now() - started)
      return open
    } catch (e) {
      if (!(e instanceof ApiError) || input.signal.aborted) {
        // The client left, or a bug: neither says anything about the origin.
        await slot.release()
        throw e
      }
      const failure = { code: e.code, detail: e.internal }
      // A 200 with no audio is ambiguous: the stock server answers a bad request (an unknown
      // speaker, COSYVOICE.md) the same way as a broken model. It counts against the origin only
      // once another origin synthesizes the very same request; otherwise any user could take
      // every origin out with a few bad requests.
      const suspected = e instanceof EmptyAudioError
      if (slot.attempts < MAX_ATTEMPTS && (await slot.failover(suspected ? { suspected: failure } : { failure }))) continue
      await slot.release(suspected ? { suspected: failure } : { failure })
      throw e
    }
  }
}

/**
 * What the end of a stream says about its origin, for the breaker: cut, odd or stalled is the
 * origin failing; the client leaving (or no longer reading) or our storage failing is not.
 */
export function originFailureOf(outcome: RelayOutcome): AttemptFailure | undefined {
  if (outcome.ok || outcome.reason === 'client_gone' || outcome.reason === 'client_stalled' || outcome.reason === 'storage_failed') return undefined
  return { code: outcome.reason }
}
