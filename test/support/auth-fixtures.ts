/**
 * Token-service settings of the test run (imported by vitest.config.ts, so Node and workerd alike):
 * login users, the edge's ES256 signing keys, and the external issuers served by the loopback
 * JWKS server (test/support/jwks-server.mjs). Test-only keys, generated once for these tests.
 */

/** Every login user's password; hashed below with 100 000 PBKDF2 iterations like a real one. */
export const TEST_PASSWORD = 'correct-horse-battery'
const TEST_PASSWORD_HASH = 'pbkdf2-sha256$100000$z09D2OIsxrTuJ66dD-yS9A$EaFMYRxVekuhjR3PHU-PzEZil9rZMYSg7pgNN_hLlEg'

/** One user per test that logs in: throttles and sessions are per user and storage is not reset. */
export const LOGIN_USERS = {
  'login-basic': 'premium',
  'login-rotate': 'free',
  'login-reuse': 'free',
  'login-logout': 'free',
  'login-revoke': 'free',
  'login-cookie': 'free',
  'login-csrf': 'free',
  'login-brute': 'free',
  'login-spray': 'free',
  'login-fresh': 'free',
  'login-jwks': 'free',
  'login-admin': 'admin',
} as const

export const AUTH_USERS = JSON.stringify(Object.fromEntries(Object.entries(LOGIN_USERS).map(([name, role]) => [name, { role, password: TEST_PASSWORD_HASH }])))

/** SIGNING_JWK of the test run. */
export const SIGNING_KEY = {
  kty: 'EC',
  crv: 'P-256',
  x: 'CW4Ex-CBCy4GoZCJmwQEO-8alcIjJiCptoEDQdiYY60',
  y: 'rIhc0IcUqAyyO5awn7VR9ytocO5rqVkzIZLwFdShGd4',
  d: 'vRXhsfLTC-9UigZmNO51todno7-6EECEyySBK-M1vBw',
  kid: 'test-current',
  alg: 'ES256',
} as const

/** SIGNING_JWK_PREVIOUS: the key the current one replaced (rotation in progress). */
export const PREVIOUS_SIGNING_KEY = {
  kty: 'EC',
  crv: 'P-256',
  x: 'JP6-ETkA52HypEEffMZn3inRL4k6jAFUGPZ_0LWF5_o',
  y: 'MvISRn4_riP-cGOk2Di3_cLYkp2UDofeXwXB0u7wF_M',
  d: '3q0d756zPfGHgefBQwo306GELtT5P9FJoRVb4MnSYZc',
  kid: 'test-previous',
  alg: 'ES256',
} as const

/** A key the edge does not know. */
export const STRANGER_KEY = {
  kty: 'EC',
  crv: 'P-256',
  x: 'Kqfi7IoU5xR6OgoNiL9AfwRFpbrIKhI2DoUno_Au46c',
  y: 'L3x3kIbnbm16vJhLQ81Sy21pqBM5A0GL523gNrnlABo',
  d: '4fzUAeadg--ty1n1W_sJZL4i-yCxu4IBHOJYGC56L_g',
  kid: 'test-stranger',
  alg: 'ES256',
} as const

/** An EdDSA key, for parsing tests. */
export const ED25519_KEY = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: 'Wkl4lb5kl8U3ZJ7GRYOz6SJYUo9qdLesPbB0TiWHKPY',
  d: 'qP3v-h0nTrnN-w0Zvnh77wpoQ7mHNN79qhzsfPpkD-U',
  kid: 'test-ed',
  alg: 'EdDSA',
} as const

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

export const AUTH_BINDINGS = {
  AUTH_USERS,
  SIGNING_JWK: JSON.stringify(SIGNING_KEY),
  SIGNING_JWK_PREVIOUS: JSON.stringify({ ...PREVIOUS_SIGNING_KEY, d: undefined }),
}
