import type { RelayOutcome } from './synthesis-relay'
import type { OriginConfig } from '../config/origins'
import { ApiError } from '../http/api-error'
import type { OriginSlot } from '../pool/pool-client'
import type { AttemptFailure } from '../pool/pool-types'
import { NoAudioError, openOriginStream, type OriginCallInput, type OpenOriginStream } from '../origin/origin-call'

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
      // An answer without audio is the stock server's answer to a bad request as much as to a
      // broken model (docs/ORIGIN-PROTOCOL.md): only a suspicion, which the pool's canary settles.
      const failure = { code: e.code, detail: e.internal }
      const report = e instanceof NoAudioError ? { suspected: failure } : { failure }
      if (slot.attempts < MAX_ATTEMPTS && (await slot.failover(report))) continue
      await slot.release(report)
      throw e
    }
  }
}

/**
 * What the end of a stream says about its origin: nothing when it succeeded, or when the client
 * left (or stopped reading) or our storage failed; otherwise (cut, odd length, stalled) a
 * suspicion. A model that raises mid-way cuts the stream exactly like a broken one, so only the
 * canary can tell.
 */
export function suspicionOf(outcome: RelayOutcome): AttemptFailure | undefined {
  if (outcome.ok || outcome.reason === 'client_gone' || outcome.reason === 'client_stalled' || outcome.reason === 'storage_failed') return undefined
  return { code: outcome.reason }
}
