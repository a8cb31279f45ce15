import { edgeProofHeaders } from '../origin/edge-proof'

const PROBE_TIMEOUT_MS = 5_000
const PROBE_PATH = '/health'

/**
 * Is an origin that was taken out answering again? `GET /health`, signed like any edge call, within
 * 5 s. The stock CosyVoice FastAPI server has no health route and answers it with a quick 404, which
 * is enough: the process is up and serving HTTP without the probe costing a GPU slot. A connection
 * error, a timeout or a 5xx (a proxy in front of a dead server) is unhealthy.
 *
 * A probe is deliberately not a synthesis: it would need a slot and a prompt voice, and still prove
 * nothing about the next request. Instead the healthy probe moves the breaker to half-open and the
 * next real request is the trial (circuit-breaker.ts).
 */
export async function probeOrigin(url: string, secret: string | undefined): Promise<{ healthy: boolean; detail: string }> {
  const headers = secret
    ? await edgeProofHeaders(secret, { method: 'GET', path: PROBE_PATH, requestId: `probe-${crypto.randomUUID()}`, userId: 'edge', role: 'probe', timestamp: Math.floor(Date.now() / 1000) })
    : {}
  try {
    const response = await fetch(`${url}${PROBE_PATH}`, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
    await response.body?.cancel()
    return { healthy: response.status < 500, detail: `probe answered ${response.status}` }
  } catch (e) {
    return { healthy: false, detail: `probe failed: ${e instanceof Error ? e.message : String(e)}` }
  }
}
