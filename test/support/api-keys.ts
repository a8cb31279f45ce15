import { decodeJwt } from 'jose'
import { call, type CallOptions } from './api'
import { loggedIn, uniqueIp } from './tokens'

/** What POST /v1/api-keys answers (201): the key itself is in this answer only. */
export interface CreatedKey {
  id: string
  key: string
  prefix: string
  name: string
  scope: string
  created_at: string
  last_used_at: string | null
  expires_at: string
  expired: boolean
}

/** An access token from a real login (POST /auth/login): fresh, with a session, as key creation needs. */
export async function loginToken(username: string): Promise<string> {
  return (await loggedIn(username)).access_token
}

/** POST /v1/api-keys as a client would; fails the test unless it answers 201. */
export async function createKey(token: string, body: { name?: string; scope?: string; ttl_seconds?: number } = {}): Promise<CreatedKey> {
  const res = await call('POST', '/v1/api-keys', { token, json: { name: 'test key', ...body } })
  if (res.status !== 201) throw new Error(`POST /v1/api-keys answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as CreatedKey
}

/**
 * One request authenticated by an API key. Each call comes from its own address unless told:
 * key lookups are braked per address (auth/api-key-verify.ts), and tests must not share a budget.
 */
export function keyCall(method: string, path: string, key: string, o: CallOptions = {}): Promise<Response> {
  return call(method, path, { ...o, token: key, headers: { 'cf-connecting-ip': uniqueIp(), ...o.headers } })
}

/** The user a login token is for (its sub). */
export const subOf = (token: string) => decodeJwt(token).sub as string
