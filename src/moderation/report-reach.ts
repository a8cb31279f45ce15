import type { Principal } from '../auth/principal'
import type { Report } from './report-ledger'

/**
 * Which reports an admin handles, by the rule every admin route follows (auth/admin-reach.ts): an
 * admin of the whole edge, all of them; an identity provider's admin, only those about its own
 * issuer's users (a report names its share's owner, who is another issuer's user otherwise).
 */
export const reachOf = (admin: Principal): string | null => (admin.adminReach === 'all' ? null : admin.issuer)

/** Whether a report is about a user this admin administers (one with no known owner: only the edge's admins). */
export function withinReach(admin: Principal, report: Report): boolean {
  const issuer = reachOf(admin)
  return issuer === null || report.owner?.issuer === issuer
}
