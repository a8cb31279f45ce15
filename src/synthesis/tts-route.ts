import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { getConfig } from '../config/app-config'
import { tierFor } from '../config/tiers'
import { ApiError, withHeaders } from '../http/api-error'
import { admitAndAcquire } from './admit-and-acquire'
import { readJson } from '../http/read-json'
import { COSYVOICE_PCM } from '../codecs/wav-header'
import { relaySynthesis, type RelayFailure, type RelayOutcome } from './synthesis-relay'
import { originForm } from '../origin/cosyvoice-form'
import type { OpenOriginStream } from '../origin/origin-call'
import { startSynthesis, suspicionOf } from './synthesize'
import { audioKey, newId } from '../storage/keys'
import { TimedRecorder } from './timed-recorder'
import { serverTiming } from '../http/server-timing'
import { voiceForSynthesis } from '../voices/voice-store'
import { characterCount, parseTtsRequest } from './tts-request'
import { originsWithoutSpeaker } from './speakers'
import { audioMetadata } from '../audio/audio-metadata'
import { LEASE_RENEW_MS } from '../config/leases'
import { log } from '../log/log'
import { onClientGone } from './client-gone'

export const ttsRoutes = new Hono<AppEnv>().post('/v1/tts', serverTiming(), requireUser({ scope: 'tts', revocation: 'at-admission' }), async (c) => {
  const timing = c.get('timing')
  timing.add('auth', Date.now() - timing.startedAt)
  const config = getConfig(c.env)
  const user = c.get('user')
  const requestId = c.get('requestId')
  const request = parseTtsRequest(await readJson(c))
  const characters = characterCount(request.text)
  const { tier } = tierFor(config.tiers, user.role)
  if (characters > tier.maxChars) throw new ApiError(413, 'text_too_long', `text is ${characters} characters; your tier allows ${tier.maxChars}`)
  c.set('logFields', { action: 'tts', mode: request.mode, characters })

  // Before anything is reserved: an unknown speaker or a missing voice costs the user nothing, and
  // no await between the reservation and the stream can leave it held.
  const exclude = request.mode === 'sft' ? originsWithoutSpeaker(config.origins, request.speaker!) : []
  const voice = request.voice_id ? await voiceForSynthesis(c.env, user.key, request.voice_id, { transcript: request.mode === 'zero_shot' }) : undefined
  const customMetadata = await audioMetadata({ request, characters, requestId, sampleRate: COSYVOICE_PCM.sampleRate })
  const { admission, slot } = await admitAndAcquire({
    env: c.env,
    config,
    user,
    tier,
    requestId,
    exclude,
    clientSignal: c.req.raw.signal,
    waitUntil: (p) => c.executionCtx.waitUntil(p),
    timing,
  })
  // Both leases are kept alive from now on: the wait for the first byte can outlast them.
  const renewal = setInterval(() => void Promise.all([admission.renew(), slot.renew()]).catch(() => {}), LEASE_RENEW_MS)
  const giveBack = () => {
    clearInterval(renewal)
    void slot.release()
    void admission.settle({ ok: false }).catch(() => {})
  }
  // A client that leaves before the first byte: nothing below it is ever resumed (client-gone.ts).
  const stopWatching = onClientGone(c.req.raw.signal, giveBack)
  const originAbort = new AbortController()
  let open: OpenOriginStream
  try {
    // startSynthesis releases the slot itself if no origin starts sending audio.
    open = await timing.time(
      'origin',
      startSynthesis(slot, {
        form: (origin) => originForm({ mode: request.mode, text: request.text, speaker: request.speaker, instruct: request.instruct, promptText: voice?.promptText }, origin.model),
        openPromptWav: voice?.openPromptWav,
        requestId,
        userId: user.key,
        role: user.role,
        originSecret: config.originSecret,
        signal: AbortSignal.any([originAbort.signal, c.req.raw.signal]),
        firstByteTimeoutMs: config.pool.firstByteTimeoutMs,
      }),
      'first byte',
    )
  } catch (e) {
    stopWatching()
    clearInterval(renewal)
    await admission.settle({ ok: false })
    throw e instanceof ApiError ? withHeaders(e, admission.headers) : e
  }

  const audioId = newId()
  const key = audioKey(user.key, audioId)
  // Until the relay owns the slots, a throw must give them back too.
  let stream: ReadableStream<Uint8Array>
  try {
    const recorder = new TimedRecorder({ bucket: c.env.AUDIO, key, format: COSYVOICE_PCM, httpMetadata: { contentType: 'audio/wav' }, customMetadata }, timing)
    let released: Promise<void> | undefined
    // The slot is released once: when the origin is done, or at the end if it never said so.
    const releaseSlot = (report?: Parameters<typeof slot.release>[0]) => {
      released ??= timing.time('release', slot.release(report))
      return released
    }
    stream = relaySynthesis({
      open,
      format: request.format,
      pcmFormat: COSYVOICE_PCM,
      recorder,
      idleTimeoutMs: config.pool.idleTimeoutMs,
      abortOrigin: (reason) => originAbort.abort(new Error(reason)),
      clientSignal: c.req.raw.signal,
      waitUntil: (p) => c.executionCtx.waitUntil(p),
      // The GPU is free once the origin is done, not once R2 has the recording: released meanwhile.
      onOriginDone: () => void releaseSlot(),
      onEnd: async (outcome: RelayOutcome) => {
        clearInterval(renewal)
        // Both slots are freed the moment the synthesis ends, in parallel (each through waitUntil).
        await Promise.all([
          timing.time('settle', admission.settle(outcome.ok ? { ok: true, storedKey: key, bytes: outcome.object.size } : { ok: false, charge: walkedAway(outcome.reason) })),
          releaseSlot({ suspected: suspicionOf(outcome) }),
        ])
        // The stages after the response started (r2, settle, release) can't be in its header: here,
        // with the ones before, is where operators and the bench read them.
        log.info({
          request_id: requestId,
          event: 'synthesis_end',
          ok: outcome.ok,
          ...(outcome.ok ? { bytes: outcome.object.size } : { reason: outcome.reason }),
          timing_ms: timing.toJSON(),
        })
      },
    })
  } catch (e) {
    stopWatching()
    void open.reader.cancel().catch(() => {})
    giveBack()
    throw e
  }
  // From here a client that leaves cancels the stream, and the relay's onEnd gives the slots back.
  stopWatching()
  c.set('logFields', { action: 'tts', resource: audioId, mode: request.mode, characters, origin: open.origin.url })
  return new Response(stream, {
    status: 200,
    headers: {
      'Content-Type': request.format === 'wav' ? 'audio/wav' : 'audio/L16;rate=24000;channels=1',
      'X-Audio-Id': audioId,
      'Content-Location': `/v1/audio/${audioId}`,
      'X-Sample-Rate': String(COSYVOICE_PCM.sampleRate),
      'X-Channels': String(COSYVOICE_PCM.channels),
      'Cache-Control': 'no-store',
      ...admission.headers,
    },
  })
})

/** The GPU did the work and the client left before taking it: charged like a success, not stored. */
const walkedAway = (reason: RelayFailure) => reason === 'client_gone' || reason === 'client_stalled'
