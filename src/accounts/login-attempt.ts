import type { Env } from '../env'
import { ApiError } from '../http/api-error'
import { userObjectByKey } from '../users/user-stub'

/**
 * One login attempt's place in the throttles (login-throttle.ts has the numbers), counted as a
 * failure from the start and taken back if the password was right:
 * - from a trusted device of the user (device-token.ts): only that device's own allowance;
 * - from anyone else: the client address's allowance across usernames, and the username's shared
 *   allowance for untrusted clients, which has an hourly ceiling across all addresses.
 * Over an allowance: 429 `too_many_attempts` with Retry-After, the same for every username, known or not.
 */
export interface LoginAttempt {
  /** The password was right: the attempt is not a failure (a trusted device's earlier typos are forgotten too). */
  succeeded(): Promise<void>
}

export interface LoginClient {
  /** CF-Connecting-IP, as Cloudflare's edge sets it. */
  address: string | undefined
  /** The trusted device this client proved to be, if any. */
  deviceId: string | undefined
}

export async function beginLoginAttempt(env: Env, userKey: string, client: LoginClient): Promise<LoginAttempt> {
  const user = userObjectByKey(env, userKey)
  if (client.deviceId !== undefined) {
    const attempt = await user.beginLogin(client.deviceId)
    if (!attempt.ok) throw tooManyAttempts(attempt.retryAfter)
    return { succeeded: () => user.settleLogin(attempt.attempt, 'succeeded', true) }
  }
  const address = env.LOGIN_ADDRESSES.get(env.LOGIN_ADDRESSES.idFromName(addressKey(client.address)))
  const fromAddress = await address.beginLogin()
  if (!fromAddress.ok) throw tooManyAttempts(fromAddress.retryAfter)
  const forUser = await user.beginLogin(undefined)
  if (!forUser.ok) {
    // No password was tried: not a failure of this address.
    await address.settleLogin(fromAddress.attempt, 'refused')
    throw tooManyAttempts(forUser.retryAfter)
  }
  return {
    succeeded: async () => {
      await Promise.all([address.settleLogin(fromAddress.attempt, 'succeeded'), user.settleLogin(forUser.attempt, 'succeeded', false)])
    },
  }
}

function tooManyAttempts(retryAfter: number): ApiError {
  return new ApiError(429, 'too_many_attempts', `too many failed logins: try again in ${retryAfter} s`, { headers: { 'Retry-After': String(retryAfter) } })
}

/**
 * The throttled unit of a client address: an IPv4 address, or an IPv6 address's /64 (one
 * subscriber usually holds a whole /64, so counting single IPv6 addresses would count nothing).
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown'
  const ip = address.trim().toLowerCase()
  if (ip.includes(':') && !ip.includes('.')) {
    const halves = ip.split('::')
    if (halves.length <= 2) {
      const head = halves[0] ? halves[0].split(':') : []
      const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : []
      const groups = halves.length === 2 ? [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail] : head
      if (groups.length === 8 && groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)))
        return `${groups
          .slice(0, 4)
          .map((g) => Number.parseInt(g, 16).toString(16))
          .join(':')}::/64`
    }
  }
  return ip.slice(0, 64)
}
