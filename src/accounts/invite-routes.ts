import { Hono, type Context } from 'hono'
import type { AppEnv } from '../app-env'
import { hashPassword } from '../auth/password-hash'
import { ApiError, badRequest } from '../http/api-error'
import { readBytes, readJson } from '../http/read-json'
import { parseBody } from '../http/request-body'
import { anonymousRateLimit } from '../limits/anonymous-limit'
import { varyOnAccept } from '../http/vary-accept'
import { wantsHtml } from '../http/wants-html'
import { userObjectByKey } from '../users/user-stub'
import { accountDirectory } from './account-directory'
import { accountKey, syncAccount } from './account-sync'
import { inviteDonePage, inviteErrorPage, invitePage } from './invite-page'
import { inviteTokenHash } from './invite-token'
import { InviteBody } from './account-bodies'
import type { InviteRefusal } from './user-directory'
import { MIN_PASSWORD_CHARS, passwordProblem } from './username.mjs'
import { log } from '../log/log'

const noStore = { 'Cache-Control': 'no-store' }
const MAX_FORM_BYTES = 4096

const REFUSALS: Record<InviteRefusal, { status: 404 | 410; code: string; message: string }> = {
  unknown: { status: 404, code: 'invite_not_found', message: 'There is no such invite.' },
  used: { status: 410, code: 'invite_used', message: 'This invite has already been used.' },
  expired: { status: 410, code: 'invite_expired', message: 'This invite has expired.' },
}

/**
 * One-time invite links (made by `POST /admin/users` without a password, or by a reset):
 * `GET /auth/invite/<token>` says whose it is (a form, for a browser); `POST` with `{password}`
 * (JSON, or the form) sets the password and spends the invite. Exactly one of two requests racing
 * for one invite sets its password; the other gets 410 `invite_used`. A password set this way ends
 * every session the account had (it is a reset). The token is a bearer credential: it is never
 * logged (http/request-context.ts redacts it) and only its hash is stored.
 */
export const inviteRoutes = new Hono<AppEnv>()
  .use('/auth/invite/:token', varyOnAccept)
  .get('/auth/invite/:token', anonymousRateLimit(), async (c) => {
    const html = wantsHtml(c.req.header('accept'))
    const hash = await inviteTokenHash(c.req.param('token'))
    const state = hash ? await (await accountDirectory(c.env)).invite(hash, Date.now()) : ({ ok: false, reason: 'unknown' } as const)
    if (!state.ok) return refuse(state.reason, html)
    if (html) return invitePage(state.account.username, MIN_PASSWORD_CHARS)
    return c.json({ username: state.account.username, expires_at: new Date(state.expiresAt).toISOString() }, 200, noStore)
  })

  .post('/auth/invite/:token', anonymousRateLimit(), async (c) => {
    // The invite page posts a form and, as a browser, asks for a page back; any other client gets JSON.
    const html = wantsHtml(c.req.header('accept'))
    const password = isForm(c.req.header('content-type')) ? await formPassword(c) : parseBody(InviteBody, await readJson(c, 4096)).password
    const hash = await inviteTokenHash(c.req.param('token'))
    if (!hash) return refuse('unknown', html)
    const directory = await accountDirectory(c.env)
    const now = Date.now()
    // Checked before the PBKDF2 work, so a dead link costs no hashing; the spend below decides.
    const state = await directory.invite(hash, now)
    if (!state.ok) return refuse(state.reason, html)
    const problem = passwordProblem(password)
    if (problem) {
      if (html) return invitePage(state.account.username, MIN_PASSWORD_CHARS, problem)
      throw badRequest(`"password": ${problem}`, 'weak_password')
    }
    const used = await directory.useInvite(hash, await hashPassword(password as string), crypto.randomUUID(), Date.now())
    if (!used.ok) return refuse(used.reason, html)
    const { account } = used.record
    try {
      await syncAccount(c.env, directory, used.record)
    } catch (e) {
      log.error({ request_id: c.get('requestId'), account: account.id, sync_error: String(e) })
    }
    c.set('logFields', { action: 'auth.invite_used', target: account.id })
    // No token here, so the request context cannot write it to the user's trail: done directly.
    const requestId = c.get('requestId')
    c.executionCtx.waitUntil(
      accountKey(c.env, account.id)
        .then((key) => userObjectByKey(c.env, key).recordAudit({ at: now, action: 'account.password_set', resource: null, status: 200, requestId, actor: 'invite' }))
        .catch((e: unknown) => log.error({ request_id: requestId, audit_error: String(e) })),
    )
    if (html) return inviteDonePage(account.username)
    return c.json({ username: account.username, password_set: true }, 200, noStore)
  })

function refuse(reason: InviteRefusal, html: boolean): Promise<Response> {
  const r = REFUSALS[reason]
  if (html) return inviteErrorPage(r.status, r.message)
  throw new ApiError(r.status, r.code, r.message)
}

const isForm = (type: string | undefined) => /^application\/x-www-form-urlencoded\b/i.test(type ?? '')

/** The `password` field of the invite page's form (bounded like every body). */
async function formPassword(c: Context<AppEnv>): Promise<unknown> {
  const text = new TextDecoder().decode(await readBytes(c, MAX_FORM_BYTES))
  return new URLSearchParams(text).get('password') ?? undefined
}
