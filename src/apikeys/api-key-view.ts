import { apiKeyPrefix } from '../auth/api-key-format'
import type { ApiKey } from '../users/api-key-ledger'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** A key as lists show it: never the key itself, nor its hash. */
export function apiKeyView(key: ApiKey, now = Date.now()) {
  return {
    id: key.id,
    name: key.name,
    prefix: apiKeyPrefix(key.id),
    scope: key.scope,
    created_at: iso(key.createdAt),
    last_used_at: iso(key.lastUsedAt),
    expires_at: iso(key.expiresAt),
    expired: key.expiresAt <= now,
  }
}
