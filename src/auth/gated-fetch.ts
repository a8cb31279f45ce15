/** A fetch the gate would not make or that did not answer; `detail` says which, for the log. */
export class GatedFetchError extends Error {
  constructor(
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options)
    this.name = 'GatedFetchError'
  }
}

/** A fetched body, read in full: no I/O object crosses requests (workerd forbids it). */
export interface Fetched {
  status: number
  body: string
}

/**
 * Bounds how often this isolate fetches one URL of an identity provider (its JWKS, its discovery
 * document): at most one fetch starts per `cooldownMs`, whatever arrives, and requests that come
 * while one is in flight wait for that one's body.
 *
 * Why: on Workers jose does not share an in-flight fetch between requests and does not remember a
 * failed one, so a burst of tokens with random `kid`s, or steady traffic while the IdP is down,
 * would each start a fetch. A request that comes within the cooldown of the last start is refused
 * (GatedFetchError), and its token with it: fail closed, never admit without keys.
 */
export function gatedFetch(cooldownMs: number, timeoutMs: number): (url: string, init?: RequestInit) => Promise<Fetched> {
  let inflight: Promise<Fetched> | undefined
  let lastStart = Number.NEGATIVE_INFINITY
  return async function fetchGated(url, init = {}) {
    if (!inflight) {
      const now = Date.now()
      if (now - lastStart < cooldownMs) throw new GatedFetchError('refetch refused within the cooldown')
      lastStart = now
      inflight = fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), ...init })
        .then(async (res) => ({ status: res.status, body: await res.text() }))
        .finally(() => {
          inflight = undefined
        })
    }
    try {
      return await inflight
    } catch (e) {
      throw new GatedFetchError(e instanceof Error && e.name === 'TimeoutError' ? 'timed out' : 'fetch failed', { cause: e })
    }
  }
}
