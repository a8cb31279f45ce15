import { describe, expect, it } from 'vitest'
import { call } from './support/api'
import { tokenFor, uniqueUser } from './support/tokens'

interface AuditPage {
  items: { action: string; resource: string | null; status: number; request_id: string }[]
  cursor: string | null
}

/** Audit writes happen after the response (waitUntil): poll until they show up. */
async function auditOf(token: string, path = '/v1/audit', want = 1): Promise<AuditPage> {
  let page: AuditPage = { items: [], cursor: null }
  await expect
    .poll(
      async () => {
        page = (await (await call('GET', path, { token })).json()) as AuditPage
        return page.items.length
      },
      { interval: 25, timeout: 2000 },
    )
    .toBeGreaterThanOrEqual(want)
  return page
}

describe('audit trail', () => {
  it('records each action of a user, newest first, and only theirs', async () => {
    const sub = uniqueUser('alice')
    const token = await tokenFor(sub)
    const res = await call('POST', '/v1/tts', { token, json: { text: 'Hi.', mode: 'sft', speaker: '英文女' } })
    await res.arrayBuffer()
    const id = res.headers.get('x-audio-id')!
    expect((await call('DELETE', `/v1/audio/${id}`, { token })).status).toBe(204)
    const page = await auditOf(token, '/v1/audit', 2)
    expect(page.items.map((i) => [i.action, i.resource, i.status])).toEqual([
      ['audio.delete', id, 204],
      ['tts', id, 200],
    ])
    expect(page.items[1]!.request_id).toBe(res.headers.get('x-request-id'))
    const other = await tokenFor(uniqueUser('bob'))
    expect(await (await call('GET', '/v1/audit', { token: other })).json()).toEqual({ items: [], cursor: null })

    const admin = await tokenFor(uniqueUser('root'), { role: 'admin' })
    const seen = await auditOf(admin, `/admin/audit?sub=${encodeURIComponent(sub)}`, 2)
    expect(seen.items.length).toBe(2)
    const refused = await call('GET', `/admin/audit?sub=${encodeURIComponent(sub)}`, { token })
    expect(refused.status).toBe(403)
  })
})
