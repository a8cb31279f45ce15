import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { edgeClient } from '../client/index.js'
import { checkAgainstOpenApi } from './support/openapi-conformance'
import { tokenFor, uniqueUser } from './support/tokens'

/** The typed client, talking to the Worker under test (each response checked like call()'s). */
const clientFor = (token: string) =>
  edgeClient('https://edge.test', {
    token,
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init)
      const res = await exports.default.fetch(request)
      await checkAgainstOpenApi(request.method, request.url, res)
      return res
    },
  })

describe('cosyvoice-edge/client', () => {
  it('synthesizes, lists and shares with typed routes', async () => {
    const edge = clientFor(await tokenFor(uniqueUser()))
    const tts = await edge.v1.tts.$post({ json: { text: 'Hello there.', mode: 'sft', speaker: '英文女' } })
    expect(tts.status).toBe(200)
    await tts.arrayBuffer()
    const audioId = tts.headers.get('x-audio-id')!
    expect(audioId).toBeTruthy()

    const listing = await edge.v1.audio.$get({ query: { limit: '5' } })
    expect(listing.status).toBe(200)
    const items = (await listing.json()).items
    expect(items.map((a) => a.audio_id)).toContain(audioId)

    const share = await edge.v1.audio[':id'].shares.$post({ param: { id: audioId }, json: { ttl_seconds: 600 } })
    expect(share.status).toBe(201)
    if (share.status !== 201) return
    const body = await share.json()
    expect(body.url).toMatch(/^https:\/\/edge\.test\/s\//)
  })

  it('a refusal is the documented error', async () => {
    const edge = clientFor('not-a-token')
    const res = await edge.v1.usage.$get()
    expect(res.status).toBe(401)
  })
})
