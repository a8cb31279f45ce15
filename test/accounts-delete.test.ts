import { createExecutionContext, evictDurableObject, runDurableObjectAlarm, waitOnExecutionContext, createScheduledController } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { UserDirectory } from '../src/accounts/user-directory'
import { userKey } from '../src/auth/user-key'
import worker from '../src/index'
import { audioKey, sharedVoiceKey } from '../src/storage/keys'
import { call, listKeys } from './support/api'
import { adminToken, createUser, expectStatus, getUser, logIn, patchUser, uniqueName } from './support/accounts'
import { synthesizeStored } from './support/stored-audio'
import { createVoice } from './support/voices'

const sft = { text: 'Hello there.', mode: 'sft', speaker: '英文女' }

interface JobView {
  id: string
  kind: string
  user_id: string
  username: string
  state: 'pending' | 'running' | 'done'
  objects_deleted: number
  finished_at: string | null
}

const keyOf = (id: string) => userKey('cosyvoice-edge', id)
const userStub = async (id: string) => env.USERS.get(env.USERS.idFromName(await keyOf(id)))

const uploadVoice = async (token: string): Promise<string> => (await createVoice(token)).voice_id

async function pollJob(admin: string, id: string): Promise<JobView> {
  let job: JobView | undefined
  await expect
    .poll(async () => {
      job = ((await (await call('GET', `/admin/jobs/${id}`, { token: admin })).json()) as { job: JobView }).job
      return job.state
    })
    .toBe('done')
  return job!
}

async function items(token: string, path: string): Promise<unknown[]> {
  const res = await call('GET', path, { token })
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: unknown[] }).items
}

describe('DELETE /admin/users/<username>', () => {
  it('erases everything; the same name created again is a new user with none of it, and every old token is refused', async () => {
    const admin = await adminToken()
    const username = uniqueName('carol')
    const old = await createUser(admin, { username, role: 'premium' })
    const session = await logIn(old)
    const token = session.access_token
    const audio = await synthesizeStored(token, sft)
    const voiceId = await uploadVoice(token)
    const share = (await (await call('POST', `/v1/audio/${audio.id}/shares`, { token, json: { ttl_seconds: 3600 } })).json()) as { share_id: string }
    const link = (await (await call('POST', `/v1/audio/${audio.id}/link`, { token, json: {} })).json()) as { url: string }
    await expectStatus(call('POST', `/admin/voices/${voiceId}/publish?sub=${old.user.id}`, { token: admin }), 200)
    const minted = (await (await call('POST', '/admin/tokens', { token: admin, json: { sub: old.user.id, role: 'premium', ttl_seconds: 300 } })).json()) as { token: string }
    const oldKey = await keyOf(old.user.id)
    expect(await listKeys(env.AUDIO, `users/${oldKey}/`)).toHaveLength(2)
    expect((await call('GET', `/s/${share.share_id}/audio`)).status).toBe(200)

    const res = await call('DELETE', `/admin/users/${username}`, { token: admin })
    expect(res.status).toBe(202)
    const { job } = (await res.json()) as { job: JobView }
    expect(job).toMatchObject({ kind: 'user.delete', user_id: old.user.id, username })
    expect(res.headers.get('location')).toBe(`/admin/jobs/${job.id}`)

    // At once, before the data is gone: every credential of the old account is refused.
    for (const t of [token, minted.token]) {
      await expectStatus(call('GET', '/v1/audio', { token: t }), 401, 'invalid_token')
      await expectStatus(call('POST', '/v1/tts', { token: t, json: sft }), 401, 'invalid_token')
    }
    await expectStatus(call('POST', '/auth/refresh', { json: { refresh_token: session.refresh_token } }), 401, 'invalid_grant')
    await expectStatus(call('GET', `/s/${share.share_id}/audio`), 404)
    await expectStatus(call('GET', new URL(link.url).pathname), 410, 'not_available')
    await expectStatus(call('GET', `/admin/users/${username}`, { token: admin }), 404)

    const done = await pollJob(admin, job.id)
    expect(done.objects_deleted).toBe(2)
    expect(done.finished_at).not.toBeNull()
    expect(await listKeys(env.AUDIO, `users/${oldKey}/`)).toEqual([])
    expect(await env.AUDIO.head(sharedVoiceKey(voiceId))).toBeNull()
    await expectStatus(call('GET', new URL(link.url).pathname), 410, 'not_available')
    // The old object keeps nothing but its tombstone: no audit trail, no shares, no usage.
    expect(await items(admin, `/admin/audit?sub=${old.user.id}`)).toEqual([])

    // The same name again: a new user.
    const again = await createUser(admin, { username })
    expect(again.user.id).not.toBe(old.user.id)
    const fresh = (await logIn(again)).access_token
    expect(await items(fresh, '/v1/audio')).toEqual([])
    expect(await items(fresh, '/v1/voices')).toEqual([])
    expect(await items(fresh, '/v1/shares')).toEqual([])
    await expectStatus(call('GET', `/v1/audio/${audio.id}`, { token: fresh }), 404)
    await expectStatus(call('GET', `/v1/voices/${voiceId}`, { token: fresh }), 404)
    await expectStatus(call('POST', '/v1/tts', { token: fresh, json: { text: 'Hi.', mode: 'zero_shot', voice_id: voiceId } }), 404)
    // Still nothing for the old credentials, the old session's refresh token included.
    for (const t of [token, minted.token]) await expectStatus(call('GET', '/v1/audio', { token: t }), 401)
    await expectStatus(call('POST', '/auth/refresh', { json: { refresh_token: session.refresh_token } }), 401)
    // A token minted for the old id after the deletion is refused too: deleted ids stay dead.
    const late = (await (await call('POST', '/admin/tokens', { token: admin, json: { sub: old.user.id, role: 'free', ttl_seconds: 300 } })).json()) as { token: string }
    await expectStatus(call('GET', '/v1/audio', { token: late.token }), 401)
    expect(await new UserDirectory(env.DB!).isDeleted(old.user.id)).toBe(true)
  })

  it('needs a login within the last 5 minutes; a stale admin token deletes nothing', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const stale = await adminToken({ iat: Math.floor(Date.now() / 1000) - 600 })
    const res = await call('DELETE', `/admin/users/${u.username}`, { token: stale })
    await expectStatus(res, 401, 'reauth_required')
    expect((await getUser(admin, u.username)).user.id).toBe(u.user.id)
    await logIn(u)
  })

  it('two admins deleting one user: one job, the other 404', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const results = await Promise.all([call('DELETE', `/admin/users/${u.username}`, { token: admin }), call('DELETE', `/admin/users/${u.username}`, { token: await adminToken() })])
    expect(results.map((r) => r.status).sort()).toEqual([202, 404])
  })

  it('a job the Worker never started (it died after the directory write) is started by the scheduled run', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const { access_token } = await logIn(u)
    await synthesizeStored(access_token, sft)
    // The directory half of a deletion, as a Worker that died right after it would leave it.
    const job = await new UserDirectory(env.DB!).delete(u.username, { jobId: `job_test-${crypto.randomUUID()}`, by: 'test', now: Date.now() })
    expect(job!.state).toBe('pending')
    // The user's object was never told: the old token still works until the scheduled run.
    expect((await call('GET', '/v1/audio', { token: access_token })).status).toBe(200)

    const ctx = createExecutionContext()
    await worker.scheduled(createScheduledController({ cron: '* * * * *' }), env, ctx)
    await waitOnExecutionContext(ctx)
    await expectStatus(call('GET', '/v1/audio', { token: access_token }), 401)
    await pollJob(admin, job!.id)
    expect(await listKeys(env.AUDIO, `users/${await keyOf(u.user.id)}/`)).toEqual([])
  })

  it("the erasure is driven by the object's alarm, in steps, and carries on after the object is restarted", async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const key = await keyOf(u.user.id)
    // More objects than one step deletes (500), so the job takes several alarms.
    await Promise.all(Array.from({ length: 520 }, (_, i) => env.AUDIO.put(`users/${key}/audio/${String(i).padStart(4, '0')}.wav`, 'x')))
    const res = await call('DELETE', `/admin/users/${u.username}`, { token: admin })
    const { job } = (await res.json()) as { job: JobView }
    // The object is torn down mid-job (a deploy, an eviction): its alarm and progress survive.
    const stub = await userStub(u.user.id)
    await evictDurableObject(stub)
    const done = await pollJob(admin, job.id)
    expect(done.objects_deleted).toBe(520)
    expect(await listKeys(env.AUDIO, `users/${key}/`)).toEqual([])
    // Running the alarm again (a restart replaying it) changes nothing and reports nothing new.
    await runDurableObjectAlarm(stub)
    expect((await (await call('GET', `/admin/jobs/${job.id}`, { token: admin })).json()) as { job: JobView }).toMatchObject({ job: { state: 'done', objects_deleted: 520 } })
  })

  it('what an admin holds as evidence (a takedown) outlives the deletion; everything else goes', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const token = (await logIn(u)).access_token
    const held = await synthesizeStored(token, sft)
    const other = await synthesizeStored(token, sft)
    await expectStatus(call('POST', '/admin/takedowns', { token: admin, json: { kind: 'audio', owner: u.user.id, id: held.id, reason: 'fraud' } }), 201)
    const key = await keyOf(u.user.id)

    const { job } = (await (await call('DELETE', `/admin/users/${u.username}`, { token: admin })).json()) as { job: JobView }
    expect((await pollJob(admin, job.id)).objects_deleted).toBe(1)
    expect(await listKeys(env.AUDIO, `users/${key}/`)).toEqual([audioKey(key, held.id)])
    expect(await env.AUDIO.head(audioKey(key, other.id))).toBeNull()
    // The admin still has the evidence, and can purge it.
    const evidence = await call('GET', `/admin/takedowns/audio/${held.id}/content?sub=${u.user.id}`, { token: admin })
    expect(evidence.status).toBe(200)
    expect(new Uint8Array(await evidence.arrayBuffer())).toEqual(held.bytes)
    await expectStatus(call('POST', `/admin/takedowns/audio/${held.id}/purge?sub=${u.user.id}`, { token: admin }), 200)
    expect(await listKeys(env.AUDIO, `users/${key}/`)).toEqual([])
  })

  it('an unknown user is 404 and creates no job', async () => {
    const admin = await adminToken()
    await expectStatus(call('DELETE', `/admin/users/${uniqueName('ghost')}`, { token: admin }), 404, 'not_found')
    await expectStatus(call('DELETE', '/admin/users/has%20space', { token: admin }), 404)
  })

  it('a change delivered after the deletion never reopens the account', async () => {
    const admin = await adminToken()
    const u = await createUser(admin)
    const { access_token } = await logIn(u)
    const stale = await new UserDirectory(env.DB!).byName(u.username)
    await expectStatus(call('DELETE', `/admin/users/${u.username}`, { token: admin }), 202)
    // A delivery of an older, active state arriving late (a slow request, a scheduled run).
    const result = await (await userStub(u.user.id)).applyAccount({ ...stale!.snapshot, version: 99 })
    expect(result).toMatchObject({ applied: false, closed: true })
    await expectStatus(call('GET', '/v1/audio', { token: access_token }), 401)
    await expectStatus(patchUser(admin, u.username, { status: 'active' }), 404)
  })
})
