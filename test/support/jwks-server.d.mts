export interface TenantOptions {
  alg?: 'RS256' | 'ES256' | 'Ed25519' | 'EdDSA'
  jwkAlg?: string | null
  issuerPath?: string
  discovery?: 'ok' | 'down' | 'mismatch'
}
export function startJwksServer(options?: { port?: number; host?: string; tenants?: Record<string, TenantOptions> }): Promise<{ url: string; close(): Promise<void> }>
