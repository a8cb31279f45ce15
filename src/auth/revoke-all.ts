import type { Env } from '../env'
import { userObjectByKey } from '../users/user-stub'
import { revocations } from './revocation-check'

/**
 * Revokes every token and session of a user issued up to now (this second: tokens carry whole
 * seconds, so one issued in this second is revoked too). Takes effect at once on this isolate and,
 * through the user's object, everywhere within REVOCATION_CACHE_SECONDS. Returns the second.
 */
export async function revokeAllOf(env: Env, userKey: string): Promise<number> {
  const second = Math.floor(Date.now() / 1000)
  await userObjectByKey(env, userKey).revokeTokens({ allBefore: second })
  revocations.noteRevoked(userKey, { revokedBefore: second })
  return second
}
