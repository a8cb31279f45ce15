// Plain JavaScript so that scripts/user.mjs (Node, no build step) and the Worker apply the very same
// rules. Types: username.d.mts.

/** Longest username, in code points (after NFKC). */
export const MAX_USERNAME_CHARS = 64

/**
 * Letters (any script), digits, and `. _ @ -`; combining marks after the first character (scripts
 * such as Devanagari need them). No spaces, no symbols, no invisible format characters (zero-width
 * joiners, bidirectional controls): a name must look like what it is.
 */
const ALLOWED = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}._@-]*$/u

/**
 * A username as shown and as compared. Two names are the same account when their `key`s are
 * equal: NFKC (so "ｂｏｂ", "ﬁ" or a precomposed "é" and "e" + combining accent are one name),
 * then case-folded (upper then lower case, which also folds "ß" into "ss" and a final "ς" into "σ",
 * as a lower-casing alone does not), then NFKC again (folding can denormalise).
 *
 * Returns a reason string for a name that is not allowed.
 * @param {unknown} input
 * @returns {{ username: string, key: string } | string}
 */
export function canonicalUsername(input) {
  if (typeof input !== 'string' || input.length === 0) return 'a username is 1 to 64 letters, digits or . _ @ -'
  if (input.length > MAX_USERNAME_CHARS * 4) return `a username has at most ${MAX_USERNAME_CHARS} characters`
  const username = input.normalize('NFKC')
  if ([...username].length > MAX_USERNAME_CHARS) return `a username has at most ${MAX_USERNAME_CHARS} characters`
  if (!ALLOWED.test(username)) return 'a username is letters, digits and . _ @ - (starting with a letter or digit)'
  return { username, key: foldUsername(username) }
}

/**
 * The comparison form of a text (also used to search names): NFKC, upper then lower case, NFKC.
 * @param {string} text
 * @returns {string}
 */
export function foldUsername(text) {
  return text.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC')
}

/** Ids of accounts created in the directory: `u_` and 128 random bits (base64url). */
export const USER_ID = /^u_[A-Za-z0-9_-]{22}$/

/** A new, never-used user id. @returns {string} */
export function newUserId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return `u_${btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`
}

/** Shortest and longest password accepted anywhere (API, invites, CLI). */
export const MIN_PASSWORD_CHARS = 8
export const MAX_PASSWORD_CHARS = 1024

/**
 * Null when the password is acceptable, else the reason.
 * @param {unknown} password
 * @returns {string | null}
 */
export function passwordProblem(password) {
  if (typeof password !== 'string') return 'the password must be a string'
  const chars = [...password.normalize('NFC')].length
  if (chars < MIN_PASSWORD_CHARS) return `use a password of at least ${MIN_PASSWORD_CHARS} characters`
  if (chars > MAX_PASSWORD_CHARS) return `use a password of at most ${MAX_PASSWORD_CHARS} characters`
  return null
}
