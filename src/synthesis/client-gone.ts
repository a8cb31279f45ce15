/**
 * Calls `giveBack` if the client leaves before the response is handed over; the returned function
 * stops watching (call it once the response is returned: from then on a client that leaves
 * cancels the response body, which the relay handles).
 *
 * Why a listener and not a catch: workerd cancels a request whose client disconnects before the
 * response, and the handler's pending I/O goes with it. A fetch to an origin that has not answered
 * yet then neither resolves nor rejects, so no catch or finally after it ever runs. Listeners on
 * `request.signal` still run (the enable_request_signal flag), and what they start through
 * waitUntil completes: the slots a synthesis holds are given back from one.
 */
export function onClientGone(signal: AbortSignal, giveBack: () => void): () => void {
  if (signal.aborted) {
    giveBack()
    return () => {}
  }
  signal.addEventListener('abort', giveBack, { once: true })
  return () => signal.removeEventListener('abort', giveBack)
}
