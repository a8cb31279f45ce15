import { AUDIENCE, tenantIssuer, type TenantName } from './auth-fixtures'
import { idpToken, jwksUrl, uniqueUser } from './tokens'

/** The issuer of a loopback provider tenant (auth-fixtures.ts TENANTS). */
export const issuerOf = (name: TenantName) => tenantIssuer(jwksUrl(), name)

/** A token of a tenant, shaped by `extra` like that provider's access tokens; valid for 10 minutes. */
export async function tenantToken(name: TenantName, extra: Record<string, unknown> = {}, o: { sub?: string; alg?: string; kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const aud = AUDIENCE[name]
  const claims = { iss: issuerOf(name), aud: Array.isArray(aud) ? aud[0] : aud, sub: o.sub ?? uniqueUser(name), iat: now, exp: now + 600, ...extra }
  return idpToken(name, claims, o.kid, o.alg)
}

/** Switches a tenant's discovery document: served, 503, or naming the issuer with a trailing "/". */
export async function setDiscovery(name: TenantName, mode: 'ok' | 'down' | 'mismatch'): Promise<void> {
  const res = await fetch(`${jwksUrl()}/${name}/discovery`, { method: 'POST', body: JSON.stringify({ mode }) })
  if (res.status !== 200) throw new Error(`discovery switch answered ${res.status}`)
}
