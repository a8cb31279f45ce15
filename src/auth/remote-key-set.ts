import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose'

/** The IdP's keys could not be had (down, slow, non-200, or a refetch refused by the gate). */
export class JwksUnavailableError extends Error {
  constructor(
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`JWKS unavailable: ${detail}`, options)
    this.name = 'JwksUnavailableError'
  }
}

export interface RemoteKeySetOptions {
  /** After a fetch, an unknown `kid` does not trigger another one for this long (jose's cooldownDuration). */
  cooldownMs: number
  /** Keys are refetched when older than this (jose's cacheMaxAge). */
  cacheMaxAgeMs: number
  timeoutMs: number
}

interface Fetched {
  status: number
  body: string
}

/**
 * jose's remote JWKS (kid lookup, cache, cooldown) behind a gate that bounds how often this isolate
 * fetches the IdP's JWKS: at most one fetch starts per cooldown, whatever arrives.
 *
 * Why a gate on top of jose: on Workers jose does not share an in-flight fetch between requests and
 * does not remember a failed one, so a burst of tokens with random `kid`s arriving just after the
 * cooldown, or steady traffic while the IdP is down, would each start a fetch. Here a request that
 * finds a fetch in flight waits for that fetch's body (re-wrapped in a fresh Response, so no I/O
 * object crosses requests); one that comes within the cooldown of the last start is refused, and
 * the token is refused with it (fail closed: never admit without keys).
 */
export function remoteKeySet(url: URL, options: RemoteKeySetOptions): JWTVerifyGetKey {
  let inflight: Promise<Fetched> | undefined
  let lastStart = Number.NEGATIVE_INFINITY

  const gatedFetch = async (input: string, init: RequestInit): Promise<Response> => {
    if (!inflight) {
      const now = Date.now()
      if (now - lastStart < options.cooldownMs) throw new JwksUnavailableError('refetch refused within the cooldown')
      lastStart = now
      inflight = fetch(input, init)
        .then(async (res) => ({ status: res.status, body: await res.text() }))
        .finally(() => {
          inflight = undefined
        })
    }
    let fetched: Fetched
    try {
      fetched = await inflight
    } catch (e) {
      throw new JwksUnavailableError(e instanceof Error && e.name === 'TimeoutError' ? 'timed out' : 'fetch failed', { cause: e })
    }
    if (fetched.status !== 200) throw new JwksUnavailableError(`HTTP ${fetched.status}`)
    return new Response(fetched.body, { status: 200, headers: { 'content-type': 'application/json' } })
  }

  return createRemoteJWKSet(url, {
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    timeoutDuration: options.timeoutMs,
    [customFetch]: gatedFetch,
  })
}
