/**
 * Why something is abusive: one short list for the reports visitors send and the takedowns admins
 * make, so a report's reason can become a takedown's as it is. Codes are stable (stored, shown to
 * owners, matched by clients); labels are what the share page's report form shows.
 */
export const ABUSE_REASONS = {
  impersonation: "It imitates a real person's voice without their consent",
  fraud: 'Scam or fraud',
  harassment: 'Harassment, threats or hate',
  sexual: 'Sexual content',
  illegal: 'Other illegal content',
  rights: 'Copyright or other rights',
  other: 'Something else',
} as const

export type AbuseReason = keyof typeof ABUSE_REASONS

export const ABUSE_REASON_CODES = Object.keys(ABUSE_REASONS) as AbuseReason[]

export const isAbuseReason = (value: unknown): value is AbuseReason => typeof value === 'string' && Object.hasOwn(ABUSE_REASONS, value)
