import { inject } from 'vitest'

export const originUrls = () => inject('originUrls')

export interface OriginRecord {
  path: string
  headers: Record<string, string | undefined>
  fields: Record<string, string>
  files: Record<string, { size: number; sha256: string; type: string; filename: string }>
  proofOk: boolean
  outcome: string
}

/** What the dev origin received for a request id (it records every call). */
export async function originRecords(requestId: string, origin = originUrls()[0]!): Promise<OriginRecord[]> {
  const res = await fetch(`${origin}/__dev/requests?request_id=${encodeURIComponent(requestId)}`)
  return (await res.json()) as OriginRecord[]
}
