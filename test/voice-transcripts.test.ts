import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { userKey } from '../src/auth/user-key'
import { newId, voiceKey } from '../src/storage/keys'
import { call, errorOf } from './support/api'
import { makeWav } from './support/make-audio'
import { originRecords } from './support/origin'
import { newAdmin, ownerQuery, takeDown } from './support/moderation'
import { tokenFor, uniqueUser } from './support/tokens'
import { voiceForm } from './support/voices'

/**
 * Issue 13, finding 3: a transcript over ~650 Chinese characters did not fit R2's 2 KB of custom
 * metadata and the upload answered 500. Transcripts now live in the owner's Durable Object.
 */
const END_OF_PROMPT = 'You are a helpful assistant.<|endofprompt|>'
const LONGEST = '希望你以后能够做的比我还好呦。'.repeat(67).slice(0, 1000) // 1000 code points, 3000 bytes of UTF-8

const longNamedVoice = (promptText: string) => voiceForm({ name: '长'.repeat(100), promptText })

const transcriptRows = async (sub: string) =>
  runInDurableObject(env.USERS.get(env.USERS.idFromName(await userKey('cosyvoice-edge', sub))), (_instance, state) =>
    state.storage.sql.exec<{ key: string; text: string }>('SELECT key, text FROM voice_transcripts').toArray(),
  )

describe('voice transcripts', () => {
  it('the longest transcript allowed (1000 Chinese characters) is accepted, shown whole and sent to the origin whole', async () => {
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    const res = await call('POST', '/v1/voices', { token, body: longNamedVoice(LONGEST) })
    expect(res.status).toBe(201)
    const voice = (await res.json()) as { voice_id: string; prompt_text: string }
    expect(voice.prompt_text).toBe(LONGEST)

    const shown = (await (await call('GET', `/v1/voices/${voice.voice_id}`, { token })).json()) as { prompt_text: string }
    expect(shown.prompt_text).toBe(LONGEST)
    const listed = (await (await call('GET', '/v1/voices', { token })).json()) as { items: { prompt_text: string }[] }
    expect(listed.items.map((v) => v.prompt_text)).toEqual([LONGEST])

    const tts = await call('POST', '/v1/tts', { token, json: { text: '你好。', mode: 'zero_shot', voice_id: voice.voice_id } })
    expect(tts.status).toBe(200)
    await tts.arrayBuffer()
    const [record] = await originRecords(tts.headers.get('x-request-id')!)
    expect(record!.fields.prompt_text).toBe(`${END_OF_PROMPT}${LONGEST}`)
  })

  it('one character more is a clear 400, and nothing is stored or charged', async () => {
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    const res = await call('POST', '/v1/voices', { token, body: longNamedVoice(`${LONGEST}好`) })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).code).toBe('invalid_upload')
    expect(((await (await call('GET', '/v1/voices', { token })).json()) as { items: unknown[] }).items).toEqual([])
    expect(((await (await call('GET', '/v1/usage', { token })).json()) as { storage_bytes: { used: number } }).storage_bytes.used).toBe(0)
    expect(await transcriptRows(sub)).toEqual([])
  })

  it('deleting a voice deletes its transcript', async () => {
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    const voice = (await (await call('POST', '/v1/voices', { token, body: longNamedVoice('一段话。') })).json()) as { voice_id: string }
    expect((await transcriptRows(sub)).map((r) => r.text)).toEqual(['一段话。'])
    expect((await call('DELETE', `/v1/voices/${voice.voice_id}`, { token })).status).toBe(204)
    expect(await transcriptRows(sub)).toEqual([])
  })

  it("a published voice's transcript comes from its owner, for another user's zero_shot", async () => {
    const owner = uniqueUser('owner')
    const ownerToken = await tokenFor(owner)
    const voice = (await (await call('POST', '/v1/voices', { token: ownerToken, body: longNamedVoice(LONGEST) })).json()) as { voice_id: string }
    const admin = await tokenFor(uniqueUser('admin'), { role: 'admin' })
    expect((await call('POST', `/admin/voices/${voice.voice_id}/publish?sub=${owner}`, { token: admin })).status).toBe(200)
    const tts = await call('POST', '/v1/tts', { token: await tokenFor(uniqueUser()), json: { text: '你好。', mode: 'zero_shot', voice_id: voice.voice_id } })
    expect(tts.status).toBe(200)
    await tts.arrayBuffer()
    const [record] = await originRecords(tts.headers.get('x-request-id')!)
    expect(record!.fields.prompt_text).toBe(`${END_OF_PROMPT}${LONGEST}`)
  })

  it('a voice stored before transcripts moved keeps the one in its R2 metadata', async () => {
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    const id = newId()
    await env.AUDIO.put(voiceKey(await userKey('cosyvoice-edge', sub), id), makeWav({ sampleRate: 16000, seconds: 2 }), {
      httpMetadata: { contentType: 'audio/wav' },
      customMetadata: { name: 'old', prompt_text: '旧的文本。', format: 'wav', sample_rate: '16000', channels: '1', duration: '2', created: new Date().toISOString() },
    })
    expect(((await (await call('GET', `/v1/voices/${id}`, { token })).json()) as { prompt_text: string }).prompt_text).toBe('旧的文本。')
    const tts = await call('POST', '/v1/tts', { token, json: { text: '你好。', mode: 'zero_shot', voice_id: id } })
    expect(tts.status).toBe(200)
    await tts.arrayBuffer()
    expect((await originRecords(tts.headers.get('x-request-id')!))[0]!.fields.prompt_text).toBe(`${END_OF_PROMPT}旧的文本。`)
  })

  it("an admin's purge of a taken-down voice deletes its transcript with it", async () => {
    const sub = uniqueUser()
    const token = await tokenFor(sub)
    const voice = (await (await call('POST', '/v1/voices', { token, body: longNamedVoice('证据。') })).json()) as { voice_id: string }
    const admin = await newAdmin()
    expect((await takeDown(admin.token, { kind: 'voice', owner: { sub }, id: voice.voice_id, reason: 'impersonation' })).status).toBe(201)
    expect((await transcriptRows(sub)).map((r) => r.text)).toEqual(['证据。'])
    expect((await call('POST', `/admin/takedowns/voice/${voice.voice_id}/purge?${ownerQuery(sub)}`, { token: admin.token })).status).toBe(200)
    expect(await transcriptRows(sub)).toEqual([])
  })
})
