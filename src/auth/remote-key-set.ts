import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose'
import { type Fetched, GatedFetchError, gatedFetch } from './gated-fetch'

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

/**
 * jose's remote JWKS (kid lookup, cache, cooldown) whose fetches go through a gate (gated-fetch.ts):
 * at most one fetch of the JWKS starts per cooldown in this isolate, whatever arrives.
 */
export function remoteKeySet(url: URL, options: RemoteKeySetOptions): JWTVerifyGetKey {
  const fetchGated = gatedFetch(options.cooldownMs, options.timeoutMs)
  const jwksFetch = async (input: string, init: RequestInit): Promise<Response> => {
    let fetched: Fetched
    try {
      fetched = await fetchGated(input, init)
    } catch (e) {
      if (e instanceof GatedFetchError) throw new JwksUnavailableError(e.detail, { cause: e.cause })
      throw e
    }
    if (fetched.status !== 200) throw new JwksUnavailableError(`HTTP ${fetched.status}`)
    return new Response(fetched.body, { status: 200, headers: { 'content-type': 'application/json' } })
  }
  return createRemoteJWKSet(url, {
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    timeoutDuration: options.timeoutMs,
    [customFetch]: jwksFetch,
  })
}
