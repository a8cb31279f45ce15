import { tierFor, type Tier } from '../config/tiers'
import type { LimitSnapshot } from '../users/limit-types'
import type { Account, DeletionJob } from './user-directory'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** An account as the admin API shows it. `tier` is what the role gets (an unknown role: free). */
export function accountView(a: Account, tiers: Record<string, Tier>) {
  return {
    id: a.id,
    username: a.username,
    role: a.role,
    tier: tierFor(tiers, a.role).name,
    status: a.status,
    password_set: a.hasPassword,
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
    last_login_at: iso(a.lastLoginAt),
  }
}

/** What a user listing shows of a user's usage (the full picture is their GET /v1/usage). */
export function usageSummary(u: LimitSnapshot) {
  return {
    syntheses_today: u.day.used,
    syntheses_running: u.concurrency.used,
    stored_bytes: u.storage.used,
  }
}

export function jobView(j: DeletionJob) {
  return {
    id: j.id,
    kind: 'user.delete',
    user_id: j.userId,
    username: j.username,
    state: j.state,
    objects_deleted: j.objectsDeleted,
    last_error: j.lastError,
    created_at: iso(j.createdAt),
    updated_at: iso(j.updatedAt),
    finished_at: iso(j.finishedAt),
  }
}

/** The (strong) ETag of an account version, for If-Match. */
export const accountEtag = (a: Account) => `"v${a.version}"`
