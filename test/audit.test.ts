import { describe, expect, it } from 'vitest'
import { call } from './support/api'
import { trailUntil } from './support/audit-trail'
import { tokenFor, uniqueUser } from './support/tokens'

type AuditEntry = { action: string; resource: string | null; status: number; request_id: string }

/** The trail at `path` once it holds at least `want` entries. */
const auditOf = async (token: string, path = '/v1/audit', want = 1): Promise<{ items: AuditEntry[] }> => ({
  items: await trailUntil<AuditEntry>(
    () => call('GET', path, { token }),
    (items) => items.length >= want,
  ),
})

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
