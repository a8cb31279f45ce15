import { Hono, type Context, type MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { adminTargetIssuer } from '../auth/admin-reach'
import { getAuthConfig } from '../auth/auth-config'
import { requireFreshAuth } from '../auth/fresh-auth'
import { hashPassword } from '../auth/password-hash'
import { requireUser } from '../auth/require-user'
import { revokeAllOf } from '../auth/revoke-all'
import { base64url, fromBase64url } from '../codecs/base64'
import { getConfig } from '../config/app-config'
import { tierFor } from '../config/tiers'
import { ApiError, badRequest, notFound } from '../http/api-error'
import { listingQuery } from '../http/listing-query'
import { readJson } from '../http/read-json'
import { parseBody } from '../http/request-body'
import { userObjectByKey } from '../users/user-stub'
import { accountDirectory } from './account-directory'
import { accountKey, refreshJob, startErasure, syncAccount } from './account-sync'
import { accountEtag, accountView, jobView, usageSummary } from './account-view'
import { inviteUrl, newInvite } from './invite-token'
import { NewUserBody, UserChangeBody } from './account-bodies'
import { USER_PAGE_MAX, type Account, type UserDirectory } from './user-directory'
import { canonicalUsername, passwordProblem } from './username.mjs'
import { log } from '../log/log'

const noStore = { 'Cache-Control': 'no-store' }

/**
 * The admin API over the account directory: create (with a password or a one-time invite link),
 * list and search (with each user's tier and usage), read, change role or status, re-invite,
 * sign out everywhere,
 * delete (a background job erasing all their data). Admin role and `admin` scope; deleting also
 * needs a login within 5 minutes. Each change is written to the admin's audit trail (its log
 * fields) and to the target user's own trail, with the admin as actor.
 *
 * Changes reach the user's Durable Object in the same request (account-sync.ts): a disable ends
 * every session at once, a role change revokes the access tokens that carry the old role.
 *
 * The directory's accounts are users of the edge's own issuer: an identity provider's admin whose
 * reach is its own issuer (auth/admin-reach.ts) gets 403 here.
 */
export const adminUserRoutes = new Hono<AppEnv>()
  .use('/admin/users', requireUser({ roles: ['admin'], scope: 'admin' }), directoryAdmin())
  .use('/admin/users/*', requireUser({ roles: ['admin'], scope: 'admin' }), directoryAdmin())
  .use('/admin/jobs/*', requireUser({ roles: ['admin'], scope: 'admin' }), directoryAdmin())

  /** `?search=` (part of a name, any case), `?limit=` (1–100), `?cursor=`: users in name order. */
  .get('/admin/users', async (c) => {
    const { limit, cursor } = listingQuery(c, USER_PAGE_MAX)
    const search = c.req.query('search')
    if (search !== undefined && search.length > 64) throw badRequest('search is at most 64 characters')
    const directory = await accountDirectory(c.env)
    const { accounts, next } = await directory.list({ search: search || undefined, limit, after: cursor === undefined ? undefined : fromCursor(cursor) })
    const items = await Promise.all(accounts.map(async (a) => ({ ...view(c, a), usage: await usageOf(c, a) })))
    return c.json({ items, cursor: next === null ? null : base64url(new TextEncoder().encode(next)) }, 200, noStore)
  })

  /** `{username, role, password?}` → 201; without a password, with the `invite_url` that sets it. */
  .post('/admin/users', async (c) => {
    const body = parseBody(NewUserBody, await readJson(c, 4096))
    const canonical = canonicalUsername(body.username)
    if (typeof canonical === 'string') throw badRequest(`"username": ${canonical}`, 'invalid_username')
    const role = checkedRole(c, body.role)
    if (body.password !== undefined) {
      const problem = passwordProblem(body.password)
      if (problem) throw badRequest(`"password": ${problem}`, 'weak_password')
    }
    const admin = c.get('user')
    const now = Date.now()
    const invite = body.password === undefined ? await newInvite(now) : undefined
    const directory = await accountDirectory(c.env)
    const created = await directory.create({
      username: canonical.username,
      role,
      passwordHash: body.password === undefined ? null : await hashPassword(body.password),
      invite,
      createdBy: admin.sub,
      now,
    })
    if (created === 'taken') throw new ApiError(409, 'username_taken', `the username "${canonical.username}" is taken (names are compared ignoring case and Unicode form)`)
    if (created === 'invalid') throw badRequest('invalid username', 'invalid_username')
    const { account } = created
    c.set('logFields', { action: 'admin.user_create', resource: account.username, target: account.id })
    auditTarget(c, account.id, 'account.create', 201, { role, invited: invite !== undefined })
    return c.json(
      {
        user: view(c, account),
        ...(invite ? { invite_url: inviteUrl(new URL(c.req.url).origin, invite.token), invite_expires_at: new Date(invite.expiresAt).toISOString() } : {}),
      },
      201,
      { ...noStore, Location: `/admin/users/${encodeURIComponent(account.username)}`, ETag: accountEtag(account) },
    )
  })

  .get('/admin/users/:username', async (c) => {
    const { account } = await found(await accountDirectory(c.env), c.req.param('username'))
    return c.json({ user: view(c, account), usage: await usageOf(c, account) }, 200, { ...noStore, ETag: accountEtag(account) })
  })

  /**
   * `{role?, status?}`. With `If-Match: "v<version>"` (the ETag of a GET), only if nobody changed
   * the user since: of two admins editing from the same view, the second gets 412. Without it,
   * concurrent changes apply in the directory's order, and the user's object ends in the state of
   * the last one (it applies them by version).
   */
  .patch('/admin/users/:username', async (c) => {
    const { role: asked, status } = parseBody(UserChangeBody, await readJson(c, 4096))
    if (asked === undefined && status === undefined) throw badRequest('send {"role": "..."} and/or {"status": "active" | "disabled"}', 'invalid_request')
    const role = asked === undefined ? undefined : checkedRole(c, asked)
    const ifVersion = ifMatchVersion(c.req.header('if-match'))
    const directory = await accountDirectory(c.env)
    const name = c.req.param('username')
    const current = await found(directory, name)
    const admin = c.get('user')
    if (current.account.id === admin.sub && (status === 'disabled' || (role !== undefined && role !== current.account.role)))
      throw new ApiError(409, 'own_account', 'you cannot disable your own account or change your own role: ask another admin')
    const updated = await directory.update(name, { role, status }, ifVersion ?? undefined, Date.now())
    if (updated === 'not_found') throw notFound('user')
    if (updated === 'stale') throw new ApiError(412, 'precondition_failed', 'the user changed since you read it: read it again (If-Match)')
    await deliver(c, directory, updated)
    const { account } = updated
    c.set('logFields', { action: 'admin.user_update', resource: account.username, target: account.id, role, status })
    auditTarget(c, account.id, 'account.update', 200, { role: role ?? null, status: status ?? null })
    return c.json({ user: view(c, account) }, 200, { ...noStore, ETag: accountEtag(account) })
  })

  /** A new one-time invite link (a reset); earlier unused ones stop working. The password stays until it is used. */
  .post('/admin/users/:username/invite', async (c) => {
    const now = Date.now()
    const invite = await newInvite(now)
    const directory = await accountDirectory(c.env)
    const record = await directory.newInvite(c.req.param('username'), invite, c.get('user').sub, now)
    if (!record) throw notFound('user')
    const { account } = record
    c.set('logFields', { action: 'admin.user_invite', resource: account.username, target: account.id })
    auditTarget(c, account.id, 'account.invite', 201, null)
    return c.json(
      { user: view(c, account), invite_url: inviteUrl(new URL(c.req.url).origin, invite.token), invite_expires_at: new Date(invite.expiresAt).toISOString() },
      201,
      noStore,
    )
  })

  /**
   * Signs the user out everywhere: every session, refresh and access token issued up to now stops
   * working (at once on this isolate, within REVOCATION_CACHE_SECONDS elsewhere, exactly for
   * synthesis). The account stays usable: a new login works. `POST /admin/revoke` does the same
   * by account id, for any issuer.
   */
  .post('/admin/users/:username/revoke', async (c) => {
    const { account } = await found(await accountDirectory(c.env), c.req.param('username'))
    const key = await accountKey(c.env, account.id)
    const second = await revokeAllOf(c.env, key)
    c.set('logFields', { action: 'admin.user_revoke', resource: account.username, target: account.id })
    auditTarget(c, account.id, 'account.revoke', 200, null)
    return c.json({ user: view(c, account), revoked: { issued_before: new Date((second + 1) * 1000).toISOString() } }, 200, noStore)
  })

  /**
   * Deletes the account and, as a background job, all its data: 202 with the job to poll at
   * `GET /admin/jobs/<id>`. The name is free at once; a new account with it is a new user.
   */
  .delete('/admin/users/:username', requireFreshAuth(), async (c) => {
    const directory = await accountDirectory(c.env)
    const name = c.req.param('username')
    const current = await found(directory, name)
    const admin = c.get('user')
    if (current.account.id === admin.sub) throw new ApiError(409, 'own_account', 'you cannot delete your own account: ask another admin')
    let job = await directory.delete(name, { jobId: `job_${base64url(crypto.getRandomValues(new Uint8Array(16)))}`, by: admin.sub, now: Date.now() })
    if (!job) throw notFound('user')
    try {
      job = await startErasure(c.env, directory, job)
    } catch (e) {
      // The job is in the directory: the scheduled run (or the next poll) starts it.
      log.error({ request_id: c.get('requestId'), job: job.id, erasure_start_error: String(e) })
    }
    c.set('logFields', { action: 'admin.user_delete', resource: job.username, target: job.userId, job: job.id })
    return c.json({ job: jobView(job) }, 202, { ...noStore, Location: `/admin/jobs/${job.id}` })
  })

  /** A deletion job's progress, as the object doing it reports it. Polling a job that never started starts it. */
  .get('/admin/jobs/:id', async (c) => {
    const directory = await accountDirectory(c.env)
    const job = await directory.job(c.req.param('id'))
    if (!job) throw notFound('job')
    return c.json({ job: jobView(await refreshJob(c.env, directory, job)) }, 200, noStore)
  })

/** After requireUser: the caller may administer the edge's own users (auth/admin-reach.ts). */
function directoryAdmin(): MiddlewareHandler<AppEnv> {
  return async function directoryAdmin(c, next) {
    const auth = await getAuthConfig(c.env)
    adminTargetIssuer(auth, c.get('user'), auth.edge.issuer, { field: 'issuer' })
    await next()
  }
}

const view = (c: Context<AppEnv>, a: Account) => accountView(a, getConfig(c.env).tiers)

async function found(directory: UserDirectory, name: string) {
  const record = await directory.byName(name)
  if (!record) throw notFound('user')
  return record
}

async function usageOf(c: Context<AppEnv>, a: Account) {
  const { tier } = tierFor(getConfig(c.env).tiers, a.role)
  return usageSummary(await userObjectByKey(c.env, await accountKey(c.env, a.id)).usage(tier))
}

/** Tells the user's object now; if that fails the change stands and the scheduled run delivers it. */
async function deliver(c: Context<AppEnv>, directory: UserDirectory, record: Parameters<typeof syncAccount>[2]): Promise<void> {
  try {
    await syncAccount(c.env, directory, record)
  } catch (e) {
    log.error({ request_id: c.get('requestId'), account: record.account.id, sync_error: String(e) })
  }
}

function checkedRole(c: Context<AppEnv>, role: unknown): string {
  const tiers = getConfig(c.env).tiers
  if (typeof role !== 'string' || !Object.hasOwn(tiers, role)) throw badRequest(`"role" must be a tier of TIERS: ${Object.keys(tiers).join(', ')}`, 'invalid_role')
  return role
}

/** `If-Match: "v<version>"` → the version; `*` or none → null; any other tag can never match (412). */
function ifMatchVersion(header: string | undefined): number | null {
  if (header === undefined || header.trim() === '*') return null
  const m = /^\s*"v(\d{1,15})"\s*$/.exec(header)
  if (!m) throw new ApiError(412, 'precondition_failed', 'If-Match must be the ETag of the user ("v<version>")')
  return Number(m[1])
}

function fromCursor(cursor: string): string {
  const bytes = fromBase64url(cursor)
  try {
    if (!bytes) throw new Error('not base64url')
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw badRequest('invalid cursor', 'invalid_cursor')
  }
}

/** The change in the target's own trail too, with the admin as actor (off the response path). */
function auditTarget(c: Context<AppEnv>, userId: string, action: string, status: number, detail: Record<string, string | boolean | null> | null): void {
  const admin = c.get('user')
  const requestId = c.get('requestId')
  c.executionCtx.waitUntil(
    accountKey(c.env, userId)
      .then((key) => userObjectByKey(c.env, key).recordAudit({ at: Date.now(), action, resource: null, status, requestId, actor: `admin:${admin.sub}`, detail }))
      .catch((e: unknown) => log.error({ request_id: requestId, audit_error: String(e) })),
  )
}
