import { base64url, sha256Base64url } from '../codecs/base64'

/** How long an invite link works: a week, then an admin makes a new one. */
export const INVITE_TTL_MS = 7 * 86_400_000

/** 256 random bits, base64url: the shape of every invite token. */
const INVITE_TOKEN = /^[A-Za-z0-9_-]{43}$/

/** A new invite: the token goes into the link (shown once), only its SHA-256 into the directory. */
export async function newInvite(now: number): Promise<{ token: string; tokenHash: string; expiresAt: number }> {
  const token = base64url(crypto.getRandomValues(new Uint8Array(32)))
  return { token, tokenHash: await sha256Base64url(token), expiresAt: now + INVITE_TTL_MS }
}

/** The stored hash of a presented token, or null for anything that cannot be one. */
export async function inviteTokenHash(token: string): Promise<string | null> {
  return INVITE_TOKEN.test(token) ? sha256Base64url(token) : null
}

/** The link a person opens: `POST` to it with `{password}` (or the form its page shows). */
export function inviteUrl(origin: string, token: string): string {
  return `${origin}/auth/invite/${token}`
}
