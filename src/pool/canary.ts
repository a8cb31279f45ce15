import { edgeProofHeaders } from '../origin/edge-proof'
import type { OriginForm } from '../origin/cosyvoice-form'
import { multipartBody } from '../origin/multipart-body'
import { canaryPromptWav } from './canary-prompt'

/** More than any short canary text needs (a few seconds at 24 kHz are ~100 KB). */
const MAX_CANARY_BYTES = 16 * 1024 * 1024

export interface CanaryResult {
  ok: boolean
  detail: string
}

/**
 * Sends an origin its canary, a short synthesis known to be good for it (config/origins.ts), signed
 * like any edge call, and says whether it works: a 200 whose body is whole audio (at least one
 * sample, an even byte count, a clean end), all within `timeoutMs`. Anything else means the
 * origin fails a request that cannot be at fault, so the origin is.
 */
export async function runCanary(url: string, form: OriginForm, secret: string | undefined, timeoutMs: number): Promise<CanaryResult> {
  const started = Date.now()
  const prompt = form.needsPromptWav ? canaryPromptWav() : undefined
  const { body, contentType } = multipartBody(
    form.fields,
    prompt && { name: 'prompt_wav', filename: 'canary.wav', contentType: 'audio/wav', size: prompt.length, body: new Blob([prompt]).stream() },
  )
  const proof = secret
    ? await edgeProofHeaders(secret, {
        method: 'POST',
        path: form.path,
        requestId: `canary-${crypto.randomUUID()}`,
        userId: 'edge',
        role: 'canary',
        timestamp: Math.floor(started / 1000),
      })
    : {}
  const signal = AbortSignal.timeout(timeoutMs)
  let bytes = 0
  try {
    const response = await fetch(`${url}${form.path}`, { method: 'POST', headers: { 'Content-Type': contentType, ...proof }, body, signal })
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {})
      return { ok: false, detail: `${form.path} answered ${response.status}` }
    }
    const reader = response.body?.getReader()
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array> | undefined
      try {
        chunk = await reader?.read()
      } catch (e) {
        return { ok: false, detail: `${form.path}: the stream broke after ${bytes} bytes (${message(e)})` }
      }
      if (!chunk || chunk.done) break
      bytes += chunk.value.length
      if (bytes > MAX_CANARY_BYTES) {
        await reader?.cancel().catch(() => {})
        return { ok: false, detail: `${form.path}: more than ${MAX_CANARY_BYTES} bytes for a canary` }
      }
    }
    if (bytes === 0) return { ok: false, detail: `${form.path}: 200 with no audio` }
    if (bytes % 2 === 1) return { ok: false, detail: `${form.path}: an odd number of bytes (${bytes})` }
    return { ok: true, detail: `${form.path}: ${bytes} bytes of audio in ${Date.now() - started} ms` }
  } catch (e) {
    if (signal.aborted) return { ok: false, detail: `${form.path}: no whole answer within ${timeoutMs} ms (${bytes} bytes)` }
    return { ok: false, detail: `${form.path}: could not be reached (${message(e)})` }
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))
