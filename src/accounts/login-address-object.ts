import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'
import { CLIENT_ADDRESS, LoginThrottle, type AttemptOutcome, type ThrottleResult } from '../users/login-throttle'

/**
 * One per client address (login-attempt.ts names it): the failed logins from that address across
 * every username, so one address cannot spray guesses over many accounts. Its own small class, not
 * a user's object: an address has no limits, sessions or files.
 */
export class LoginAddressObject extends DurableObject<Env> {
  readonly #throttle: LoginThrottle

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.#throttle = new LoginThrottle(ctx.storage.sql)
  }

  beginLogin(): ThrottleResult {
    return this.#throttle.begin('address', CLIENT_ADDRESS, Date.now())
  }

  settleLogin(attempt: string, outcome: AttemptOutcome): void {
    this.#throttle.settle(attempt, outcome)
  }
}
