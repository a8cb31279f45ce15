import { expect } from 'vitest'
import { call, errorOf } from './api'
import { trailUntil } from './audit-trail'
import { login, tokenFor, uniqueUser, type TokenResponse } from './tokens'

/** An admin of this test (not a directory account: a token the edge signed for a random admin). */
export const adminToken = (o: { iat?: number } = {}) => tokenFor(uniqueUser('admin'), { role: 'admin', ...o })

export interface UserView {
  id: string
  username: string
  role: string
  tier: string
  status: 'active' | 'disabled'
  password_set: boolean
  created_at: string
  updated_at: string
  last_login_at: string | null
}

export interface CreatedUser {
  username: string
  password: string
  user: UserView
  etag: string
}

/** A fresh username for one test (names are global in the directory). */
export const uniqueName = (prefix = 'acct') => `${prefix}-${crypto.randomUUID().slice(0, 8)}`

/** Creates a directory account with a password through the admin API (fails the test otherwise). */
export async function createUser(admin: string, o: { username?: string; role?: string; password?: string } = {}): Promise<CreatedUser> {
  const username = o.username ?? uniqueName()
  const password = o.password ?? `pw-${crypto.randomUUID()}`
  const res = await call('POST', '/admin/users', { token: admin, json: { username, role: o.role ?? 'free', password } })
  if (res.status !== 201) throw new Error(`creating ${username} answered ${res.status}: ${await res.text()}`)
  const body = (await res.json()) as { user: UserView }
  return { username, password, user: body.user, etag: res.headers.get('etag')! }
}

/** Creates an account without a password: returns its invite token (the last segment of invite_url). */
export async function createInvited(admin: string, o: { username?: string; role?: string } = {}): Promise<{ username: string; user: UserView; token: string; url: string }> {
  const username = o.username ?? uniqueName('invited')
  const res = await call('POST', '/admin/users', { token: admin, json: { username, role: o.role ?? 'free' } })
  expect(res.status).toBe(201)
  const body = (await res.json()) as { user: UserView; invite_url: string }
  return { username, user: body.user, url: body.invite_url, token: body.invite_url.split('/').pop()! }
}

/** Logs in with the user's password; the token response (fails the test if refused). */
export async function logIn(u: { username: string; password: string }, o: { cookie?: boolean } = {}): Promise<TokenResponse> {
  const res = await login(u.username, { password: u.password, ...o })
  if (res.status !== 200) throw new Error(`login of ${u.username} answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as TokenResponse
}

export async function expectStatus(res: Response | Promise<Response>, status: number, code?: string): Promise<void> {
  const r = await res
  const text = await r.clone().text()
  expect(r.status, text).toBe(status)
  if (code) expect((await errorOf(r)).code).toBe(code)
}

export const patchUser = (admin: string, username: string, json: unknown, headers: Record<string, string> = {}) =>
  call('PATCH', `/admin/users/${encodeURIComponent(username)}`, { token: admin, json, headers })

export async function getUser(admin: string, username: string): Promise<{ user: UserView; usage: Record<string, number>; etag: string }> {
  const res = await call('GET', `/admin/users/${encodeURIComponent(username)}`, { token: admin })
  expect(res.status).toBe(200)
  return { ...((await res.json()) as { user: UserView; usage: Record<string, number> }), etag: res.headers.get('etag')! }
}

type TrailEntry = { action: string; actor: string | null; resource: string | null; detail: Record<string, unknown> | null }

/** The trail `read` answers, once it holds `action`. */
export const trailWith = (read: () => Promise<Response>, action: string): Promise<TrailEntry[]> => trailUntil<TrailEntry>(read, (items) => items.some((e) => e.action === action))
