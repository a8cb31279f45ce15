export interface CreatedApiKey {
  id: string
  key: string
  prefix: string
  name: string
  scope: string
  created_at: string
  last_used_at: string | null
  expires_at: string
  expired: boolean
  /** The login's access token: a JWT of the same user. */
  access_token: string
}

export function createApiKey(options: {
  url: string
  username: string
  password: string
  name?: string
  scope?: string
  ttlSeconds?: number
  fetch?: (url: string, init: RequestInit) => Promise<Response>
}): Promise<CreatedApiKey>
