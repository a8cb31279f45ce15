import type { TenantOptions } from './jwks-server.mjs'
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
  // Personal API keys (test/apikeys.test.ts): one owner per test, keys are listed per user.
  'apikey-life': 'free',
  'apikey-window': 'free',
  'apikey-scope': 'free',
  'apikey-fresh': 'free',
  'apikey-mangled': 'free',
  'apikey-admin': 'admin',
  'apikey-alice': 'free',
  'apikey-bob': 'free',
  'apikey-revoked-all': 'free',
  'apikey-removed': 'free',
  'apikey-self': 'free',
  'apikey-limit': 'free',
  'apikey-managed': 'premium',
  'apikey-cost': 'free',
  'apikey-role': 'free',
  'login-idp': 'free',
} as const

export const AUTH_USERS = JSON.stringify(Object.fromEntries(Object.entries(LOGIN_USERS).map(([name, role]) => [name, { role, password: TEST_PASSWORD_HASH }])))

/**
 * External issuers on the loopback OpenID provider (test/support/jwks-server.mjs). The first three
 * have made-up https issuers and an explicit jwks_uri; the others are the provider's own tenants,
 * found by discovery and shaped like the real providers' access tokens.
 */
export const IDP = {
  /** Default cooldown (30 s): for verification and the unknown-kid flood. A legacy entry (`role_claim`, dotted). */
  stable: { issuer: 'https://idp-stable.test', tenant: 'stable', audience: 'cosyvoice-edge-api' },
  /** A short cooldown so a rotation is picked up within a fraction of a second. */
  rotating: { issuer: 'https://idp-rotating.test', tenant: 'rotating', audience: 'cosyvoice-edge-api', cooldownSeconds: 0.2 },
  /** Like `stable`, for the unknown-kid flood alone: it counts this tenant's JWKS fetches, which no other file may cause. */
  flood: { issuer: 'https://idp-flood.test', tenant: 'flood', audience: 'cosyvoice-edge-api' },
  /** Its JWKS URL answers nothing (connection refused). */
  down: { issuer: 'https://idp-down.test', tenant: 'down', audience: 'cosyvoice-edge-api' },
} as const

/** Tenants of the loopback provider: its options (jwks-server.mjs) and their entries below. */
export const TENANTS = {
  /** Auth0: RS256, an issuer ending in "/", roles in a namespaced claim, RBAC `permissions`, aud [api, userinfo]. */
  auth0: { alg: 'RS256', issuerPath: '/' },
  /** Keycloak: RS256, `realm_access.roles` (its realm role `admin` is not mapped), `scope` string. */
  keycloak: { alg: 'RS256', issuerPath: '/realms/cosyvoice' },
  /** A second Keycloak realm for the discovery-cache test alone: it counts this tenant's fetches, which no other file may cause. */
  'keycloak-cache': { alg: 'RS256', issuerPath: '/realms/cache' },
  /** Okta: ES256, `scp` list, `groups`; its `cosyvoice-admins` group is mapped to admin (own users only). */
  okta: { alg: 'ES256', issuerPath: '/oauth2/default' },
  /** Entra ID: RS256, `scp` string, app `roles`, two audiences (App ID URI and client id). */
  entra: { alg: 'RS256', issuerPath: '/v2.0' },
  /** Clerk: RS256, organisation role in `o.rol` (its `admin` is not mapped). */
  clerk: { alg: 'RS256' },
  /** A provider writing RFC 9864's `Ed25519`; its `edge-operator` role is an admin of the whole edge. */
  ed25519: { alg: 'Ed25519' },
  /** EdDSA in the entry, JWK without `alg`: tokens with `EdDSA` or `Ed25519` in the header both verify. */
  eddsa: { alg: 'EdDSA', jwkAlg: null },
  /** Cloudflare Access: RS256, keys at /cdn-cgi/access/certs, aud [AUD tag]. */
  access: { alg: 'RS256' },
  /** Its discovery document spells the issuer with a trailing "/": the entry (without) is refused. */
  mismatch: { alg: 'ES256', discovery: 'mismatch' },
  /** No discovery document at all (503). */
  nodisco: { alg: 'ES256', discovery: 'down' },
  /** Discovery that a test turns off and on (stale document kept, mismatch ends trust). */
  flaky: { alg: 'ES256' },
} as const satisfies Record<string, TenantOptions>

export type TenantName = keyof typeof TENANTS

/** A tenant's issuer on the provider at `providerUrl`. */
export const tenantIssuer = (providerUrl: string, name: TenantName) => `${providerUrl}/${name}${'issuerPath' in TENANTS[name] ? TENANTS[name].issuerPath : ''}`

export const AUDIENCE = {
  auth0: 'https://api.cosyvoice.test',
  keycloak: 'cosyvoice-edge',
  'keycloak-cache': 'cosyvoice-edge',
  okta: 'api://cosyvoice',
  entra: ['api://cosyvoice-edge', '0f3c1e36-6a0b-4c57-9d3a-6f0c2b1e9a41'],
  clerk: 'cosyvoice-edge',
  ed25519: 'cosyvoice-edge',
  eddsa: 'cosyvoice-edge',
  /** An Access application's AUD tag. */
  access: 'd4a3e1f2b6c7a8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3',
  mismatch: 'cosyvoice-edge',
  nodisco: 'cosyvoice-edge',
  flaky: 'cosyvoice-edge',
} as const satisfies Record<TenantName, string | readonly string[]>

/** Entries that are broken, each in its own way, beside the working ones: they must fail alone. */
export const BROKEN = {
  /** Not a JOSE algorithm name. */
  badAlg: 'https://idp-broken-alg.test',
  /** A misspelt field (`role_mapping`) that would silently leave everyone free. */
  typo: 'https://idp-broken-typo.test',
  /** Tries to make every user admin. */
  adminDefault: 'https://idp-broken-admin.test',
  /** Listed twice. */
  twice: 'https://idp-twice.test',
} as const

export function trustedIssuers(providerUrl: string): string {
  const iss = (name: TenantName) => tenantIssuer(providerUrl, name)
  const stableJwks = `${providerUrl}/${IDP.stable.tenant}/jwks.json`
  return JSON.stringify([
    { issuer: IDP.stable.issuer, jwks_uri: stableJwks, audience: IDP.stable.audience, role_claim: 'app.role', role_map: { premium: 'premium' }, algorithms: ['ES256'] },
    {
      issuer: IDP.rotating.issuer,
      jwks_uri: `${providerUrl}/${IDP.rotating.tenant}/jwks.json`,
      audience: IDP.rotating.audience,
      algorithms: ['ES256'],
      cooldown_seconds: IDP.rotating.cooldownSeconds,
    },
    { issuer: IDP.flood.issuer, jwks_uri: `${providerUrl}/${IDP.flood.tenant}/jwks.json`, audience: IDP.flood.audience, algorithms: ['ES256'] },
    { issuer: IDP.down.issuer, jwks_uri: 'http://127.0.0.1:1/jwks.json', audience: IDP.down.audience, algorithms: ['ES256'], cooldown_seconds: 0 },
    {
      issuer: iss('auth0'),
      audience: AUDIENCE.auth0,
      algorithms: ['RS256'],
      roles_claim: 'https://cosyvoice.test/roles',
      role_map: { 'voice-premium': 'premium' },
      scopes_claim: 'permissions',
    },
    { issuer: iss('keycloak'), audience: AUDIENCE.keycloak, algorithms: ['RS256'], roles_claim: '/realm_access/roles', role_map: { 'voice-premium': 'premium' } },
    { issuer: iss('keycloak-cache'), audience: AUDIENCE['keycloak-cache'], algorithms: ['RS256'] },
    { issuer: iss('okta'), audience: AUDIENCE.okta, algorithms: ['ES256'], roles_claim: 'groups', role_map: { 'cosyvoice-admins': 'admin', 'cosyvoice-premium': 'premium' } },
    { issuer: iss('entra'), audience: AUDIENCE.entra, algorithms: ['RS256'], roles_claim: 'roles', role_map: { 'Voice.Premium': 'premium' } },
    { issuer: iss('clerk'), audience: AUDIENCE.clerk, algorithms: ['RS256'], roles_claim: ['o', 'rol'], role_map: { voice_premium: 'premium' } },
    { issuer: iss('ed25519'), audience: AUDIENCE.ed25519, algorithms: ['Ed25519'], roles_claim: 'role', role_map: { 'edge-operator': 'admin' }, admin_reach: 'all' },
    { issuer: iss('eddsa'), audience: AUDIENCE.eddsa, algorithms: ['EdDSA'] },
    { type: 'cloudflare_access', team_domain: `${providerUrl}/access`, audience: AUDIENCE.access, default_role: 'premium' },
    { issuer: iss('mismatch'), audience: AUDIENCE.mismatch, algorithms: ['ES256'] },
    { issuer: iss('nodisco'), audience: AUDIENCE.nodisco, algorithms: ['ES256'], cooldown_seconds: 0 },
    { issuer: iss('flaky'), audience: AUDIENCE.flaky, algorithms: ['ES256'], cooldown_seconds: 0, cache_max_age_seconds: 0 },
    // A realm the provider does not have (a typo in the entry): its discovery URL answers 404.
    { issuer: unknownRealmIssuer(providerUrl), audience: 'cosyvoice-edge', algorithms: ['ES256'], cooldown_seconds: 0 },
    { issuer: BROKEN.badAlg, jwks_uri: stableJwks, audience: 'cosyvoice-edge', algorithms: ['RS257'] },
    { issuer: BROKEN.typo, jwks_uri: stableJwks, audience: 'cosyvoice-edge', algorithms: ['ES256'], roles_claim: 'role', role_mapping: { boss: 'admin' } },
    { issuer: BROKEN.adminDefault, jwks_uri: stableJwks, audience: 'cosyvoice-edge', algorithms: ['ES256'], default_role: 'admin' },
    { issuer: BROKEN.twice, jwks_uri: stableJwks, audience: 'cosyvoice-edge', algorithms: ['ES256'] },
    { issuer: BROKEN.twice, jwks_uri: stableJwks, audience: 'other', algorithms: ['ES256'] },
  ])
}

/** An issuer on the loopback provider naming a tenant it was not started with. */
export const unknownRealmIssuer = (providerUrl: string) => `${providerUrl}/no-such-realm`

/** The token service's bindings for the test run; the signing keys come from globalSetup. */
export function authBindings(keys: TestSigningKeys) {
  return {
    AUTH_USERS,
    SIGNING_JWK: JSON.stringify(keys.current),
    SIGNING_JWK_PREVIOUS: JSON.stringify({ ...keys.previous, d: undefined }),
  }
}
