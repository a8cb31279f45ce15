/**
 * A running synthesis holds two leases: its user's concurrency slot (users/usage-ledger.ts) and
 * its GPU slot (pool/slot-ledger.ts). The Worker renews both while the synthesis lives; if the
 * Worker dies mid-request they lapse and the Durable Objects' alarms free the slots, so a crash
 * never locks a user out or a GPU up for longer than this.
 */
export const LEASE_MS = 90_000

/** How often a live synthesis renews its leases: well inside LEASE_MS. */
export const LEASE_RENEW_MS = 30_000
