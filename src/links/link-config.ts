import { requireSecret } from '../config/app-config'
import { ConfigError } from '../config/config-error'
import type { Env } from '../env'

/** The keys one link secret gives: `mac` signs a link, `seal` encrypts the owner it names. */
export interface LinkKeys {
  mac: CryptoKey
  seal: CryptoKey
}

/** The keys of signed download links: make links with `current`, accept `current` or `previous`. */
export interface LinkConfig {
  current: LinkKeys
  /** Still accepted while `LINK_SECRET` rotates, so links handed out just before keep working. */
  previous: LinkKeys | null
}

/** HKDF `info` of the sealing key: a label no other use of LINK_SECRET shares. */
const SEAL_INFO = 'cosyvoice-edge download link owner v2'

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
    config = Promise.all([linkKeys(current), previous ? linkKeys(previous) : null]).then(([c, p]) => ({ current: c, previous: p }))
    cache.set(env, config)
  }
  return config
}

/**
 * The HMAC key is the secret itself; the AES-256-GCM key is derived from it with HKDF-SHA-256
 * (RFC 5869) under its own label, so the two keys are independent and one secret still rotates both.
 */
async function linkKeys(secret: Uint8Array): Promise<LinkKeys> {
  const material = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey'])
  const [mac, seal] = await Promise.all([
    crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']),
    crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode(SEAL_INFO) },
      material,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    ),
  ])
  return { mac, seal }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
