import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { requireFreshAuth } from '../auth/fresh-auth'
import { hashPassword, parsePasswordHash, verifyPassword } from '../auth/password-hash'
import { requireUser } from '../auth/require-user'
import { getConfig } from '../config/app-config'
import { ApiError, badRequest } from '../http/api-error'
import { accountDirectory } from './account-directory'
import { syncAccount } from './account-sync'
import { readFields } from './read-fields'
import { passwordProblem } from './username.mjs'

/**
 * `POST /auth/password {current_password, new_password}` → 204: changes the caller's password.
 * Needs a login within 5 minutes (a stolen old token cannot do it) and the current password (an
 * unattended fresh session cannot either). Every other session of the account ends; the one that
 * made the change stays. Only directory accounts have a password here: an identity provider's
 * user, or a token minted for a guest, gets 404.
 */
export const passwordRoutes = new Hono<AppEnv>().post('/auth/password', requireUser(), requireFreshAuth(), async (c) => {
  const body = await readFields(c, ['current_password', 'new_password'])
  const { current_password: current, new_password: next } = body
  if (typeof current !== 'string' || !current || current.length > 1024) throw badRequest('send {"current_password": "...", "new_password": "..."}')
  const problem = passwordProblem(next)
  if (problem) throw badRequest(`"new_password": ${problem}`, 'weak_password')
  const user = c.get('user')
  const directory = await accountDirectory(c.env)
  const record = user.issuer === getConfig(c.env).jwt.issuer ? await directory.byId(user.sub) : null
  if (!record || record.passwordHash === null) throw new ApiError(404, 'not_found', 'this account has no password at this service')
  const stored = parsePasswordHash(record.passwordHash)
  if (typeof stored === 'string' || !(await verifyPassword(current, stored))) {
    c.set('logFields', { action: 'auth.password_change', ok: false })
    throw new ApiError(403, 'wrong_password', 'the current password is not right')
  }
  const changed = await directory.changePassword(record.account.id, record.passwordHash, await hashPassword(next as string), user.sessionId ?? null, Date.now())
  if (changed === 'conflict') throw new ApiError(409, 'password_changed', 'the password or the account changed meanwhile: log in again')
  await syncAccount(c.env, directory, changed)
  c.set('logFields', { action: 'auth.password_change', ok: true })
  return c.body(null, 204, { 'Cache-Control': 'no-store' })
})
