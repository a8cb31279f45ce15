import { requireSecret } from '../config/app-config'
import { ConfigError } from '../config/config-error'
import type { Env } from '../env'

/** The HMAC keys of signed download links: sign with `current`, accept `current` or `previous`. */
export interface LinkConfig {
  current: CryptoKey
  /** Still accepted while `LINK_SECRET` rotates, so links handed out just before keep working. */
  previous: CryptoKey | null
}

const cache = new WeakMap<Env, Promise<LinkConfig>>()

/**
 * Validates `LINK_SECRET` (and `LINK_SECRET_PREVIOUS` when set) once per env, only where links are
 * made or followed: the rest of the app does not depend on it. Missing or short → ConfigError, a 500
 * naming the setting (fail closed: an unsigned link must never be accepted).
 */
export function getLinkConfig(env: Env): Promise<LinkConfig> {
  let config = cache.get(env)
  if (!config) {
    const current = requireSecret(env.LINK_SECRET, 'LINK_SECRET')
    const previous = env.LINK_SECRET_PREVIOUS ? requireSecret(env.LINK_SECRET_PREVIOUS, 'LINK_SECRET_PREVIOUS') : null
    if (previous && equalBytes(previous, current)) throw new ConfigError('LINK_SECRET_PREVIOUS must differ from LINK_SECRET')
    config = Promise.all([hmacKey(current), previous ? hmacKey(previous) : null]).then(([c, p]) => ({ current: c, previous: p }))
    cache.set(env, config)
  }
  return config
}

function hmacKey(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
