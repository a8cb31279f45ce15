import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { userKey } from '../src/auth/user-key'
import { audioKey, sharedVoiceKey, voiceKey } from '../src/storage/keys'
import { call, errorOf } from './support/api'
import { makeWav } from './support/make-audio'
import { newAdmin, ownerQuery, storedBytes, takeDown, trailWith } from './support/moderation'
import { synthesizeStored } from './support/stored-audio'
import { tokenFor, uniqueIp, uniqueUser } from './support/tokens'
import { sha256 } from './support/wav'
import { issuerOf, tenantToken } from './support/idp'
import { createVoice } from './support/voices'

const SPEECH = { text: 'Evidence.', mode: 'sft', speaker: '英文女' }

/** Someone without an account: no token, their own address. */
const visit = (path: string, headers: Record<string, string> = {}) => call('GET', path, { headers: { 'cf-connecting-ip': uniqueIp(), ...headers } })
const visitPage = (path: string) => visit(path, { accept: 'text/html' })

async function aliceWithClip() {
  const sub = uniqueUser('alice')
  const token = await tokenFor(sub)
  const clip = await synthesizeStored(token, SPEECH)
  return { sub, token, ...clip }
}

/** Alice's voice, published by an admin; Bob, another user; `synth` asks for speech in it. */
async function alicePublishedVoice(name: string) {
  const aliceSub = uniqueUser('alice')
  const alice = await tokenFor(aliceSub)
  const bob = await tokenFor(uniqueUser('bob'))
  const admin = await newAdmin()
  const voice = await createVoice(alice, { name, wav: makeWav({ sampleRate: 16000, seconds: 1 }) })
  expect((await call('POST', `/admin/voices/${voice.voice_id}/publish?${ownerQuery(aliceSub)}`, { token: admin.token })).status).toBe(200)
  const synth = (token: string) => call('POST', '/v1/tts', { token, json: { text: 'Hi.', mode: 'zero_shot', voice_id: voice.voice_id } })
  /** The ids of the shared voices Bob is offered. */
  const sharedIds = async () =>
    ((await (await call('GET', '/v1/shared-voices?limit=100', { token: bob })).json()) as { items: { voice_id: string }[] }).items.map((v) => v.voice_id)
  return { aliceSub, alice, bob, admin, voice, synth, sharedIds }
}

async function shareOf(token: string, audioId: string): Promise<{ share_id: string; ref: string }> {
  const res = await call('POST', `/v1/audio/${audioId}/shares`, { token, json: { ttl_seconds: 600, max_downloads: 5 } })
  expect(res.status).toBe(201)
  return res.json()
}

async function linkOf(token: string, audioId: string): Promise<string> {
  const res = await call('POST', `/v1/audio/${audioId}/link`, { token, json: {} })
  expect(res.status).toBe(200)
  return new URL(((await res.json()) as { url: string }).url).pathname
}

async function expectTakenDown(res: Response, reasonShown: string | null) {
  expect(res.status).toBe(451)
  expect(res.headers.get('cache-control')).toBe('no-store')
  const error = await errorOf(res)
  expect(error.code).toBe('taken_down')
  expect(error.message).toMatch(/removed by an administrator/)
  if (reasonShown) expect(error.message).toContain(`reason: ${reasonShown}`)
  else expect(error.message).not.toMatch(/reason/)
}

async function sharesOf(token: string): Promise<{ share_id: string; status: string; downloads: number; taken_down: { kind: string; reason: string } | null }[]> {
  return ((await (await call('GET', '/v1/shares', { token })).json()) as { items: never[] }).items
}

describe('taking down one clip', () => {
  it('makes it unreachable on every route and link at once, keeps it off the quota and from its owner, and a restore brings it all back', async () => {
    const alice = await aliceWithClip()
    const admin = await newAdmin()
    const share = await shareOf(alice.token, alice.id)
    const link = await linkOf(alice.token, alice.id)
    const before = await storedBytes(alice.token)
    expect(before).toBe(alice.bytes.length)

    const made = await takeDown(admin.token, { kind: 'audio', owner: { sub: alice.sub }, id: alice.id, reason: 'impersonation', note: 'ticket 7' })
    expect(made.status).toBe(201)
    expect(made.headers.get('location')).toBe(`/admin/takedowns/audio/${alice.id}?${ownerQuery(alice.sub)}&iss=cosyvoice-edge`)
    expect(await made.json()).toMatchObject({
      kind: 'audio',
      id: alice.id,
      owner: { sub: alice.sub, iss: 'cosyvoice-edge' },
      reason: 'impersonation',
      note: 'ticket 7',
      taken_by: admin.sub,
      held_bytes: alice.bytes.length,
      report_id: null,
    })

    // The owner: every route to it says why, none serves it; the listing keeps it, marked.
    const owner = { token: alice.token }
    await expectTakenDown(await call('GET', `/v1/audio/${alice.id}`, owner), 'impersonation')
    await expectTakenDown(await call('GET', `/v1/audio/${alice.id}/content`, owner), 'impersonation')
    await expectTakenDown(await call('GET', `/v1/audio/${alice.id}/content`, { ...owner, headers: { range: 'bytes=0-99' } }), 'impersonation')
    await expectTakenDown(await call('POST', `/v1/audio/${alice.id}/link`, { ...owner, json: {} }), 'impersonation')
    await expectTakenDown(await call('POST', `/v1/audio/${alice.id}/shares`, { ...owner, json: { ttl_seconds: 60 } }), 'impersonation')
    const listed = ((await (await call('GET', '/v1/audio', owner)).json()) as { items: { audio_id: string; taken_down: unknown }[] }).items
    expect(listed).toEqual([expect.objectContaining({ audio_id: alice.id, taken_down: { reason: 'impersonation', taken_at: expect.any(String) } })])

    // Held as evidence: the owner cannot delete it, and it no longer counts against their quota.
    await expectTakenDown(await call('DELETE', `/v1/audio/${alice.id}`, owner), 'impersonation')
    expect(await env.AUDIO.head(audioKey(await userKey('cosyvoice-edge', alice.sub), alice.id))).not.toBeNull()
    expect(await storedBytes(alice.token)).toBe(0)

    // Visitors of the signed link and the share: removed, without the reason; nothing is counted.
    const ranges: Record<string, string>[] = [{}, { range: 'bytes=0-99' }, { range: 'bytes=100-' }]
    for (const headers of ranges) {
      await expectTakenDown(await visit(link, headers), null)
      await expectTakenDown(await visit(`/s/${share.share_id}`, headers), null)
      await expectTakenDown(await visit(`/s/${share.share_id}/audio`, headers), null)
    }
    expect((await call('HEAD', `/s/${share.share_id}/audio`, { headers: { 'cf-connecting-ip': uniqueIp() } })).status).toBe(451)
    const page = await visitPage(`/s/${share.share_id}`)
    expect(page.status).toBe(451)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await page.text()
    expect(html).toContain('removed by an administrator')
    expect(html).not.toContain('impersonation')
    expect(html).not.toContain('<audio')
    expect(await sharesOf(alice.token)).toEqual([
      expect.objectContaining({ share_id: share.share_id, status: 'taken_down', downloads: 0, taken_down: expect.objectContaining({ kind: 'audio', reason: 'impersonation' }) }),
    ])

    // Both trails: the owner's says which admin and why (not the admin's note); the admin's names the owner.
    const ownerTrail = await trailWith(alice.token, (e) => e.action === 'takedown.create')
    expect(ownerTrail.find((e) => e.action === 'takedown.create')).toMatchObject({
      resource: alice.id,
      status: 201,
      actor: admin.sub,
      detail: { kind: 'audio', reason: 'impersonation' },
    })
    expect(JSON.stringify(ownerTrail)).not.toContain('ticket 7')
    const adminTrail = await trailWith(admin.token, (e) => e.action === 'takedown.create')
    expect(adminTrail.find((e) => e.action === 'takedown.create')).toMatchObject({
      resource: alice.id,
      status: 201,
      detail: { kind: 'audio', reason: 'impersonation', owner_sub: alice.sub, owner_iss: 'cosyvoice-edge' },
    })

    // The admin can hear the evidence.
    const evidence = await call('GET', `/admin/takedowns/audio/${alice.id}/content?${ownerQuery(alice.sub)}`, { token: admin.token })
    expect(evidence.status).toBe(200)
    expect(await sha256(new Uint8Array(await evidence.arrayBuffer()))).toBe(await sha256(alice.bytes))
    await trailWith(alice.token, (e) => e.action === 'takedown.evidence' && e.actor === admin.sub)

    // Restored: everything answers again, exactly as before.
    const restored = await call('DELETE', `/admin/takedowns/audio/${alice.id}?${ownerQuery(alice.sub)}`, { token: admin.token })
    expect(restored.status).toBe(200)
    expect(await restored.json()).toMatchObject({ released: { kind: 'audio', id: alice.id, reason: 'impersonation' } })
    expect(await storedBytes(alice.token)).toBe(before)
    const content = await call('GET', `/v1/audio/${alice.id}/content`, owner)
    expect(content.status).toBe(200)
    expect(await sha256(new Uint8Array(await content.arrayBuffer()))).toBe(await sha256(alice.bytes))
    const ranged = await visit(link, { range: 'bytes=0-99' })
    expect(ranged.status).toBe(206)
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(alice.bytes.subarray(0, 100))
    const shared = await visit(`/s/${share.share_id}/audio`)
    expect(shared.status).toBe(200)
    expect(await sha256(new Uint8Array(await shared.arrayBuffer()))).toBe(await sha256(alice.bytes))
    expect((await visitPage(`/s/${share.share_id}`)).status).toBe(200)
    expect((await sharesOf(alice.token))[0]).toMatchObject({ status: 'active', downloads: 1, taken_down: null })
    expect((await call('GET', `/v1/audio/${alice.id}`, owner)).status).toBe(200)
    await trailWith(alice.token, (e) => e.action === 'takedown.release' && e.actor === admin.sub)
    await trailWith(admin.token, (e) => e.action === 'takedown.release' && e.detail?.owner_sub === alice.sub)
    // Released means the owner's again: now they may delete it.
    expect((await call('DELETE', `/v1/audio/${alice.id}`, owner)).status).toBe(204)
  })

  it('purge deletes the held evidence for good; only what is held can be purged', async () => {
    const alice = await aliceWithClip()
    const other = await synthesizeStored(alice.token, SPEECH)
    const admin = await newAdmin()
    const share = await shareOf(alice.token, alice.id)
    const key = audioKey(await userKey('cosyvoice-edge', alice.sub), alice.id)

    // Not held: purge is no way to delete someone's audio.
    expect((await call('POST', `/admin/takedowns/audio/${other.id}/purge?${ownerQuery(alice.sub)}`, { token: admin.token })).status).toBe(404)
    expect((await call('GET', `/v1/audio/${other.id}/content`, { token: alice.token })).status).toBe(200)

    expect((await takeDown(admin.token, { kind: 'audio', owner: alice.sub, id: alice.id, reason: 'fraud' })).status).toBe(201)
    const purged = await call('POST', `/admin/takedowns/audio/${alice.id}/purge?${ownerQuery(alice.sub)}`, { token: admin.token })
    expect(purged.status).toBe(200)
    expect(await env.AUDIO.head(key)).toBeNull()
    expect((await call('GET', `/v1/audio/${alice.id}`, { token: alice.token })).status).toBe(404)
    expect((await visit(`/s/${share.share_id}`)).status).toBe(410)
    expect(await storedBytes(alice.token)).toBe(other.bytes.length)
    expect((await call('GET', `/admin/takedowns/audio/${alice.id}?${ownerQuery(alice.sub)}`, { token: admin.token })).status).toBe(404)
    await trailWith(alice.token, (e) => e.action === 'takedown.purge' && e.actor === admin.sub)
  })

  it("an owner's delete racing a takedown: either the evidence is held and the delete refused, or it is gone and nothing is held", async () => {
    const admin = await newAdmin()
    for (let round = 0; round < 3; round++) {
      const alice = await aliceWithClip()
      const [deleted, taken] = await Promise.all([
        call('DELETE', `/v1/audio/${alice.id}`, { token: alice.token }),
        takeDown(admin.token, { kind: 'audio', owner: { sub: alice.sub }, id: alice.id, reason: 'harassment' }),
      ])
      const stored = await env.AUDIO.head(audioKey(await userKey('cosyvoice-edge', alice.sub), alice.id))
      if (taken.status === 201) {
        expect(deleted.status).toBe(451)
        expect(stored).not.toBeNull()
      } else {
        expect(deleted.status).toBe(204)
        expect([404, 409]).toContain(taken.status)
        expect(stored).toBeNull()
      }
    }
  })
})

describe('taking down a share or a voice', () => {
  it('a share: that link stops, the audio and its other shares do not', async () => {
    const alice = await aliceWithClip()
    const admin = await newAdmin()
    const bad = await shareOf(alice.token, alice.id)
    const fine = await shareOf(alice.token, alice.id)
    const made = await takeDown(admin.token, { kind: 'share', owner: { sub: alice.sub, iss: 'cosyvoice-edge' }, id: bad.share_id, reason: 'harassment' })
    expect(made.status).toBe(201)
    expect(await made.json()).toMatchObject({ kind: 'share', id: bad.share_id, held_bytes: 0, detail: { audio_id: alice.id, max_downloads: 5, downloads: 0 } })

    await expectTakenDown(await visit(`/s/${bad.share_id}/audio`, { range: 'bytes=0-9' }), null)
    expect((await visit(`/s/${fine.share_id}/audio`)).status).toBe(200)
    expect((await call('GET', `/v1/audio/${alice.id}/content`, { token: alice.token })).status).toBe(200)
    const listed = await sharesOf(alice.token)
    expect(listed.find((s) => s.share_id === bad.share_id)).toMatchObject({ status: 'taken_down', taken_down: { kind: 'share', reason: 'harassment' } })
    expect(listed.find((s) => s.share_id === fine.share_id)).toMatchObject({ status: 'active', taken_down: null })
    // The owner's trail names the share by its ref, never its id (a bearer credential).
    const trail = await trailWith(alice.token, (e) => e.action === 'takedown.create')
    expect(trail.find((e) => e.action === 'takedown.create')!.resource).toBe(bad.ref)
    expect(JSON.stringify(trail)).not.toContain(bad.share_id)

    expect((await call('DELETE', `/admin/takedowns/share/${encodeURIComponent(bad.share_id)}?${ownerQuery(alice.sub)}`, { token: admin.token })).status).toBe(200)
    expect((await visit(`/s/${bad.share_id}/audio`)).status).toBe(200)
  })

  it('a voice: nobody can synthesize with it (owner told why, others not), it leaves the shared list and the quota, and a restore publishes it again', async () => {
    const { aliceSub, alice, bob, admin, voice, synth, sharedIds } = await alicePublishedVoice('Lookalike')
    const daySyntheses = async (token: string) => ((await (await call('GET', '/v1/usage', { token })).json()) as { syntheses_per_day: { used: number } }).syntheses_per_day.used

    expect((await takeDown(admin.token, { kind: 'voice', owner: { sub: aliceSub }, id: voice.voice_id, reason: 'impersonation' })).status).toBe(201)
    await expectTakenDown(await synth(alice), 'impersonation')
    // Withdrawn from everyone it was published to: for them it is simply no longer shared.
    expect((await synth(bob)).status).toBe(404)
    expect(await sharedIds()).not.toContain(voice.voice_id)
    // Even if the withdrawal had not happened (a crash between hold and withdrawal), synthesis asks
    // the owner's object: still refused, and Bob is not told why.
    await env.AUDIO.put(sharedVoiceKey(voice.voice_id), null, {
      customMetadata: { owner_key: await userKey('cosyvoice-edge', aliceSub), name: 'Lookalike', published: new Date().toISOString() },
    })
    await expectTakenDown(await synth(bob), null)
    // Nor is it offered in the shared list meanwhile.
    expect(await sharedIds()).not.toContain(voice.voice_id)
    await env.AUDIO.delete(sharedVoiceKey(voice.voice_id))
    // Refused before admission: nobody is charged for it.
    expect(await daySyntheses(alice)).toBe(0)
    expect(await daySyntheses(bob)).toBe(0)
    await expectTakenDown(await call('GET', `/v1/voices/${voice.voice_id}`, { token: alice }), 'impersonation')
    await expectTakenDown(await call('GET', `/v1/voices/${voice.voice_id}/content`, { token: alice }), 'impersonation')
    await expectTakenDown(await call('DELETE', `/v1/voices/${voice.voice_id}`, { token: alice }), 'impersonation')
    expect(await env.AUDIO.head(voiceKey(await userKey('cosyvoice-edge', aliceSub), voice.voice_id))).not.toBeNull()
    const listed = ((await (await call('GET', '/v1/voices', { token: alice })).json()) as { items: { voice_id: string; taken_down: unknown }[] }).items
    expect(listed).toEqual([expect.objectContaining({ voice_id: voice.voice_id, taken_down: { reason: 'impersonation', taken_at: expect.any(String) } })])
    expect(await storedBytes(alice)).toBe(0)
    // An admin cannot publish it again while it is held.
    expect((await call('POST', `/admin/voices/${voice.voice_id}/publish?${ownerQuery(aliceSub)}`, { token: admin.token })).status).toBe(451)

    expect((await call('DELETE', `/admin/takedowns/voice/${voice.voice_id}?${ownerQuery(aliceSub)}`, { token: admin.token })).status).toBe(200)
    expect(await sharedIds()).toContain(voice.voice_id)
    expect(await storedBytes(alice)).toBe(voice.bytes)
    for (const token of [alice, bob]) {
      const res = await synth(token)
      expect(res.status).toBe(200)
      await res.arrayBuffer()
    }
  })
})

describe('takedowns under attack', () => {
  it('only an admin with the admin scope acts; a wrong owner finds nothing; another user still gets 404, not 451', async () => {
    const alice = await aliceWithClip()
    const bobSub = uniqueUser('bob')
    const bob = await tokenFor(bobSub, { role: 'premium' })
    const admin = await newAdmin()
    const narrowAdmin = await tokenFor(uniqueUser('root'), { role: 'admin', scope: 'audio' })
    const body = { kind: 'audio', owner: { sub: alice.sub }, id: alice.id, reason: 'fraud' }

    for (const token of [alice.token, bob, narrowAdmin]) {
      const res = await takeDown(token, body)
      expect(res.status).toBe(403)
      expect(res.headers.get('www-authenticate')).toContain('insufficient_scope')
      expect((await call('GET', `/admin/takedowns?${ownerQuery(alice.sub)}`, { token })).status).toBe(403)
      expect((await call('DELETE', `/admin/takedowns/audio/${alice.id}?${ownerQuery(alice.sub)}`, { token })).status).toBe(403)
    }
    expect((await call('POST', '/admin/takedowns', { json: body })).status).toBe(401)
    // Bob named as the owner of Alice's clip: not found, and nothing happens to it.
    expect((await takeDown(admin.token, { ...body, owner: { sub: bobSub } })).status).toBe(404)
    const elsewhere = await takeDown(admin.token, { ...body, owner: { sub: alice.sub, iss: 'https://elsewhere.example' } })
    expect(elsewhere.status).toBe(400)
    expect((await errorOf(elsewhere)).code).toBe('unknown_issuer')
    expect((await call('GET', `/v1/audio/${alice.id}/content`, { token: alice.token })).status).toBe(200)

    expect((await takeDown(admin.token, body)).status).toBe(201)
    const again = await takeDown(admin.token, body)
    expect(again.status).toBe(409)
    expect((await errorOf(again)).code).toBe('already_taken_down')
    // Bob asking for Alice's held clip by id learns nothing: the same 404 as for any id not his.
    for (const path of [`/v1/audio/${alice.id}`, `/v1/audio/${alice.id}/content`]) {
      const res = await call('GET', path, { token: bob })
      expect(res.status).toBe(404)
      expect((await errorOf(res)).code).toBe('not_found')
    }
    expect((await call('DELETE', `/v1/audio/${alice.id}`, { token: bob })).status).toBe(404)

    // A second admin sees and releases the first one's takedown; the owner's trail names who did what.
    const second = await newAdmin()
    const list = await call('GET', `/admin/takedowns?${ownerQuery(alice.sub)}`, { token: second.token })
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([expect.objectContaining({ kind: 'audio', id: alice.id, taken_by: admin.sub, reason: 'fraud' })])
    expect((await call('DELETE', `/admin/takedowns/audio/${alice.id}?${ownerQuery(alice.sub)}`, { token: second.token })).status).toBe(200)
    expect((await call('DELETE', `/admin/takedowns/audio/${alice.id}?${ownerQuery(alice.sub)}`, { token: second.token })).status).toBe(404)
    const trail = await trailWith(alice.token, (e) => e.action === 'takedown.release')
    expect(trail.filter((e) => e.action.startsWith('takedown.')).map((e) => [e.action, e.actor])).toEqual([
      ['takedown.release', second.sub],
      ['takedown.create', admin.sub],
    ])
  })

  it('hostile bodies and paths are 400/404/413/415, and none of them holds anything', async () => {
    const alice = await aliceWithClip()
    const admin = await newAdmin()
    const share = await shareOf(alice.token, alice.id)
    const good = { kind: 'audio', owner: { sub: alice.sub }, id: alice.id, reason: 'fraud' }
    const refused: [Record<string, unknown>, number, RegExp][] = [
      [{ ...good, kind: 'account' }, 400, /kind must be one of audio, voice, share/],
      [{ ...good, reason: 'i just do not like it' }, 400, /reason must be one of impersonation/],
      [{ ...good, id: '../../users/x' }, 400, /not an audio id/],
      [{ ...good, id: 'x'.repeat(500) }, 400, /too long/],
      [{ ...good, owner: { sub: '' } }, 400, /name the owner/],
      [{ ...good, owner: { sub: 'a'.repeat(600) } }, 400, /name the owner/],
      [{ ...good, owner: { sub: alice.sub, iss: 42 } }, 400, /"owner.iss" must be a string/],
      [{ ...good, owner: 7 }, 400, /owner must be/],
      [{ kind: 'audio', id: alice.id, reason: 'fraud' }, 400, /owner/],
      [{ ...good, note: 'n'.repeat(1001) }, 400, /note is over 1000/],
      [{ ...good, note: 'bell\u0007' }, 400, /control characters/],
      [{ ...good, sneaky: true }, 400, /unknown field "sneaky"/],
      [{ ...good, report_id: 'no-such-report' }, 404, /report not found/],
      [{ ...good, kind: 'share', id: 'not-a-share' }, 400, /not a share id/],
      [{ ...good, kind: 'share', id: `${share.share_id.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA` }, 404, /share not found/],
      [{ ...good, kind: 'voice' }, 404, /voice not found/],
    ]
    for (const [json, status, message] of refused) {
      const res = await takeDown(admin.token, json)
      expect(res.status, JSON.stringify(json).slice(0, 80)).toBe(status)
      expect((await errorOf(res)).message).toMatch(message)
    }
    expect((await call('POST', '/admin/takedowns', { token: admin.token, body: 'kind=audio', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415)
    expect(
      (await call('POST', '/admin/takedowns', { token: admin.token, body: JSON.stringify({ ...good, note: 'x'.repeat(20_000) }), headers: { 'content-type': 'application/json' } }))
        .status,
    ).toBe(413)
    expect((await call('GET', `/admin/takedowns/account/${alice.id}?${ownerQuery(alice.sub)}`, { token: admin.token })).status).toBe(400)
    expect((await call('GET', `/admin/takedowns/audio/${alice.id}`, { token: admin.token })).status).toBe(400)
    expect((await call('GET', `/admin/takedowns?${ownerQuery(alice.sub)}&limit=0`, { token: admin.token })).status).toBe(400)
    expect((await call('GET', `/admin/takedowns?${ownerQuery(alice.sub)}&cursor=abc`, { token: admin.token })).status).toBe(400)

    // Nothing was held by any of it.
    const list = await call('GET', `/admin/takedowns?${ownerQuery(alice.sub)}`, { token: admin.token })
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([])
    expect((await call('GET', `/v1/audio/${alice.id}/content`, { token: alice.token })).status).toBe(200)
    expect((await visit(`/s/${share.share_id}/audio`)).status).toBe(200)
  })
})

describe("an identity provider's admin", () => {
  it("takes down and sees reports of its own issuer's users only", async () => {
    const oktaAdmin = await tenantToken('okta', { groups: ['cosyvoice-admins'], scp: ['admin', 'tts', 'audio'] })
    const edgeAdmin = await newAdmin()
    const alice = await aliceWithClip()
    const aliceShare = await shareOf(alice.token, alice.id)
    const oktaSub = uniqueUser('okta-user')
    const oktaUser = await tenantToken('okta', { scp: ['tts', 'audio', 'share'] }, { sub: oktaSub })
    const oktaClip = await synthesizeStored(oktaUser, SPEECH)
    const oktaShare = await shareOf(oktaUser, oktaClip.id)
    for (const share of [aliceShare, oktaShare]) {
      expect((await call('POST', `/s/${share.share_id}/report`, { json: { reason: 'fraud' }, headers: { 'cf-connecting-ip': uniqueIp() } })).status).toBe(202)
    }

    // The edge's own user is out of its reach; without ?iss= it means its own issuer's "alice".
    const edgeUser = await takeDown(oktaAdmin, { kind: 'audio', owner: { sub: alice.sub, iss: 'cosyvoice-edge' }, id: alice.id, reason: 'fraud' })
    expect(edgeUser.status).toBe(403)
    expect((await errorOf(edgeUser)).code).toBe('insufficient_scope')
    expect((await takeDown(oktaAdmin, { kind: 'audio', owner: alice.sub, id: alice.id, reason: 'fraud' })).status).toBe(404)
    expect((await call('GET', `/admin/takedowns?${ownerQuery(alice.sub)}&iss=cosyvoice-edge`, { token: oktaAdmin })).status).toBe(403)
    expect((await call('GET', `/v1/audio/${alice.id}/content`, { token: alice.token })).status).toBe(200)

    // The queue: its own issuer's users' reports only; another's is not found, not even to resolve.
    const queue = async (token: string) =>
      ((await (await call('GET', '/admin/reports?limit=200', { token })).json()) as { items: { report_id: string; share: { share_id: string } }[] }).items
    const seen = (await queue(oktaAdmin)).map((r) => r.share.share_id)
    expect(seen).toContain(oktaShare.share_id)
    expect(seen).not.toContain(aliceShare.share_id)
    const aliceReport = (await queue(edgeAdmin.token)).find((r) => r.share.share_id === aliceShare.share_id)!
    expect((await call('GET', `/admin/reports/${aliceReport.report_id}`, { token: oktaAdmin })).status).toBe(404)
    expect((await call('POST', `/admin/reports/${aliceReport.report_id}/resolve`, { token: oktaAdmin, json: { action: 'dismissed' } })).status).toBe(404)
    const withAliceReport = await takeDown(oktaAdmin, { kind: 'share', owner: oktaSub, id: oktaShare.share_id, reason: 'fraud', report_id: aliceReport.report_id })
    expect(withAliceReport.status).toBe(404)

    // Its own issuer's user: taken down like anyone's (owner named by sub alone, its issuer implied).
    const oktaReport = (await queue(oktaAdmin)).find((r) => r.share.share_id === oktaShare.share_id)!
    const taken = await takeDown(oktaAdmin, { kind: 'share', owner: oktaSub, id: oktaShare.share_id, reason: 'fraud', report_id: oktaReport.report_id })
    expect(taken.status).toBe(201)
    expect(await taken.json()).toMatchObject({ owner: { sub: oktaSub, iss: issuerOf('okta') } })
    expect((await visit(`/s/${oktaShare.share_id}/audio`)).status).toBe(451)
    expect((await call('GET', `/admin/reports/${aliceReport.report_id}`, { token: edgeAdmin.token }).then((r) => r.json())) as { status: string }).toMatchObject({ status: 'open' })
  })
})

describe('suspension hook (for the accounts work)', () => {
  it("a suspended owner's published voice: gone from the shared list, others get 410 not_available from /v1/tts, uncharged; the owner still synthesizes with it", async () => {
    const { aliceSub, alice, bob, voice, synth, sharedIds } = await alicePublishedVoice('Published')
    expect(await sharedIds()).toContain(voice.voice_id)
    const stub = env.USERS.get(env.USERS.idFromName(await userKey('cosyvoice-edge', aliceSub)))
    await stub.setSuspended(true, 'accounts')
    expect(await sharedIds()).not.toContain(voice.voice_id)

    const refused = await synth(bob)
    expect(refused.status).toBe(410)
    const error = await errorOf(refused)
    expect(error.code).toBe('not_available')
    expect(error.message).not.toMatch(/administrator|suspend/i)
    const usage = (await (await call('GET', '/v1/usage', { token: bob })).json()) as { syntheses_per_day: { used: number } }
    expect(usage.syntheses_per_day.used).toBe(0)
    const own = await synth(alice)
    expect(own.status).toBe(200)
    await own.arrayBuffer()

    await stub.setSuspended(false, 'accounts')
    expect(await sharedIds()).toContain(voice.voice_id)
    const again = await synth(bob)
    expect(again.status).toBe(200)
    await again.arrayBuffer()
  })

  it("a suspended owner's shares and links answer visitors a neutral 410 not_available; the owner's own routes and data are untouched", async () => {
    const alice = await aliceWithClip()
    const share = await shareOf(alice.token, alice.id)
    const link = await linkOf(alice.token, alice.id)
    // No route: the accounts work calls this when it disables a user.
    const stub = env.USERS.get(env.USERS.idFromName(await userKey('cosyvoice-edge', alice.sub)))
    await stub.setSuspended(true, 'accounts')

    for (const res of [await visit(link), await visit(`/s/${share.share_id}/audio`, { range: 'bytes=0-9' })]) {
      expect(res.status).toBe(410)
      expect((await errorOf(res)).code).toBe('not_available')
    }
    const page = await visitPage(`/s/${share.share_id}`)
    expect(page.status).toBe(410)
    const html = await page.text()
    expect(html).toContain('not available')
    expect(html).not.toMatch(/administrator|suspend/i)
    expect((await call('GET', `/v1/audio/${alice.id}/content`, { token: alice.token })).status).toBe(200)
    expect((await sharesOf(alice.token))[0]!.downloads).toBe(0)

    await stub.setSuspended(false, 'accounts')
    expect((await visit(link)).status).toBe(200)
    expect((await visit(`/s/${share.share_id}/audio`)).status).toBe(200)
  })
})
