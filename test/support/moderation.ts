import { expect } from 'vitest'
import { call } from './api'
import { trailUntil } from './audit-trail'
import { tokenFor, uniqueUser } from './tokens'

export interface AuditItem {
  action: string
  resource: string | null
  status: number
  actor: string | null
  detail: Record<string, unknown> | null
}

/** A fresh admin: an edge token with the admin role (every scope, the admin one included). */
export async function newAdmin(): Promise<{ sub: string; token: string }> {
  const sub = uniqueUser('root')
  return { sub, token: await tokenFor(sub, { role: 'admin' }) }
}

/** POST /admin/takedowns as an admin would. */
export const takeDown = (token: string, json: Record<string, unknown>) => call('POST', '/admin/takedowns', { token, json })

/** `?sub=` naming an edge user, as the admin routes take it. */
export const ownerQuery = (sub: string) => `sub=${encodeURIComponent(sub)}`

/** Bytes of storage the token's user is charged for. */
export async function storedBytes(token: string): Promise<number> {
  const res = await call('GET', '/v1/usage', { token })
  expect(res.status).toBe(200)
  return ((await res.json()) as { storage_bytes: { used: number } }).storage_bytes.used
}

/** The caller's audit trail once it has an entry for which `match` holds. */
export const trailWith = (token: string, match: (e: AuditItem) => boolean): Promise<AuditItem[]> =>
  trailUntil<AuditItem>(
    () => call('GET', '/v1/audit?limit=200', { token }),
    (items) => items.some(match),
  )
