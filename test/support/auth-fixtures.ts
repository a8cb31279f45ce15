import type { TestSigningKeys } from './signing-keys'

/**
 * Token-service settings of the test run (imported by vitest.config.ts, so Node and workerd alike):
 * login users, the bindings of the edge's signing keys (made per run, test/support/signing-keys.ts),
 * and the external issuers served by the loopback JWKS server (test/support/jwks-server.mjs).
 */

/** Every login user's password; hashed below with 100 000 PBKDF2 iterations like a real one. */
export const TEST_PASSWORD = 'correct-horse-battery'
const TEST_PASSWORD_HASH = 'pbkdf2-sha256$100000$z09D2OIsxrTuJ66dD-yS9A$EaFMYRxVekuhjR3PHU-PzEZil9rZMYSg7pgNN_hLlEg'

/** One user per test that logs in: throttles and sessions are per user and storage is not reset. */
export const LOGIN_USERS = {
  'login-basic': 'premium',
  'login-removed': 'free',
  'login-rotate': 'free',
  'login-reuse': 'free',
  'login-channel': 'free',
  'login-channel-cookie': 'free',
  'login-channel-grace': 'free',
  'login-logout': 'free',
  'login-revoke': 'free',
  'login-cookie': 'free',
  'login-csrf': 'free',
  'login-brute': 'free',
  'login-spray': 'free',
  'login-owner': 'free',
  'login-device': 'free',
  'login-browser-device': 'free',
  'login-fresh': 'free',
  'login-jwks': 'free',
  'login-admin': 'admin',
} as const

export const AUTH_USERS = JSON.stringify(Object.fromEntries(Object.entries(LOGIN_USERS).map(([name, role]) => [name, { role, password: TEST_PASSWORD_HASH }])))

/** External issuers, each a tenant of the loopback JWKS server (or nothing at all: `down`). */
export const IDP = {
  /** Default cooldown (30 s): for verification and the unknown-kid flood. */
  stable: { issuer: 'https://idp-stable.test', tenant: 'stable', audience: 'cosyvoice-edge-api' },
  /** A short cooldown so a rotation is picked up within a fraction of a second. */
  rotating: { issuer: 'https://idp-rotating.test', tenant: 'rotating', audience: 'cosyvoice-edge-api', cooldownSeconds: 0.2 },
  /** Its JWKS URL answers nothing (connection refused). */
  down: { issuer: 'https://idp-down.test', tenant: 'down', audience: 'cosyvoice-edge-api' },
} as const

export function trustedIssuers(jwksUrl: string): string {
  return JSON.stringify([
    { issuer: IDP.stable.issuer, jwks_uri: `${jwksUrl}/${IDP.stable.tenant}/jwks.json`, audience: IDP.stable.audience, role_claim: 'app.role', algorithms: ['ES256'] },
    { issuer: IDP.rotating.issuer, jwks_uri: `${jwksUrl}/${IDP.rotating.tenant}/jwks.json`, audience: IDP.rotating.audience, algorithms: ['ES256'], cooldown_seconds: IDP.rotating.cooldownSeconds },
    { issuer: IDP.down.issuer, jwks_uri: 'http://127.0.0.1:1/jwks.json', audience: IDP.down.audience, algorithms: ['ES256'], cooldown_seconds: 0 },
  ])
}

/** The token service's bindings for the test run; the signing keys come from globalSetup. */
export function authBindings(keys: TestSigningKeys) {
  return {
    AUTH_USERS,
    SIGNING_JWK: JSON.stringify(keys.current),
    SIGNING_JWK_PREVIOUS: JSON.stringify({ ...keys.previous, d: undefined }),
  }
}
