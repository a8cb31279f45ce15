import type { OriginConfig } from '../config/origins'
import { ApiError } from '../http/api-error'
import { openOriginStream, type OriginCallInput, type OpenOriginStream } from './origin-call'

/** Attempts per request: one origin, then one other if the first failed before any audio. */
const MAX_ATTEMPTS = 2

/**
 * Starts a synthesis on an origin, skipping to another one if the first refuses or fails before
 * the first audio byte. Never retried after audio started flowing (the client already has it).
 */
export async function startSynthesis(origins: readonly OriginConfig[], input: Omit<OriginCallInput, 'form'> & { form: (o: OriginConfig) => OriginCallInput['form'] }): Promise<OpenOriginStream> {
  const start = Math.floor(Math.random() * origins.length)
  let lastError: unknown
  for (let i = 0; i < Math.min(MAX_ATTEMPTS, origins.length); i++) {
    const origin = origins[(start + i) % origins.length]!
    try {
      return await openOriginStream(origin, { ...input, form: input.form(origin) })
    } catch (e) {
      if (input.signal.aborted || !(e instanceof ApiError)) throw e
      lastError = e
    }
  }
  throw lastError
}
