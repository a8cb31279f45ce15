import { base64url } from '../codecs/base64'
import type { Env } from '../env'
import { getLinkConfig } from '../links/link-config'

/**
 * Who filed a report, as far as the flood limit and the admin queue need to know: an HMAC of the
 * address under the link secret (reports come only from share pages, which need it anyway). It
 * tells one reporter's reports apart without storing an address, and nobody without the secret
 * can turn it back into one by hashing every IPv4 address. An IPv6 client is counted by its /64,
 * the block one subscriber is usually given, so hopping addresses inside it does not reset the limit.
 */
export async function reporterOf(env: Env, ip: string | undefined): Promise<string> {
  const { current } = await getLinkConfig(env)
  const mac = await crypto.subtle.sign('HMAC', current.mac, new TextEncoder().encode(`report client\n${addressGroup(ip ?? 'unknown')}`))
  return base64url(new Uint8Array(mac).subarray(0, 12))
}

/** An IPv4 address as it is; an IPv6 address as its /64 (an IPv4-mapped one as its IPv4). */
export function addressGroup(ip: string): string {
  const address = ip.trim().toLowerCase()
  if (!address.includes(':')) return address
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address)
  if (mapped) return mapped[1]!
  const halves = address.split('::')
  if (halves.length > 2) return address
  const head = halves[0] ? halves[0].split(':') : []
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : []
  const groups = halves.length === 2 ? [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail] : head
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return address
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`
}
