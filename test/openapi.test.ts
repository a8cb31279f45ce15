/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest'
import app from '../src/index'
import { openApiDocument, openApiPath } from '../src/openapi/openapi-document'
import { call, errorOf } from './support/api'
import { checkAgainstOpenApi } from './support/openapi-conformance'
import { tokenFor, uniqueUser } from './support/tokens'
import readme from '../README.md?raw'

const doc = openApiDocument()
const documented = () => Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))

describe('the OpenAPI document', () => {
  it('describes every route of the app, and no route the app lacks (method and path)', () => {
    // app.use() middleware appears as method ALL; real routes have a method.
    const routes = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${openApiPath(r.path)}`))
    expect(routes.size).toBeGreaterThan(30)
    expect(
      [...routes].filter((r) => !documented().includes(r)),
      'routes missing from the document',
    ).toEqual([])
    expect(
      documented().filter((r) => !routes.has(r)),
      'documented routes the app does not have',
    ).toEqual([])
  })

  it('is served at /openapi.json as OpenAPI 3.1 with the security schemes', async () => {
    const res = await call('GET', '/openapi.json')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const served = (await res.json()) as typeof doc
    expect(served).toEqual(JSON.parse(JSON.stringify(doc)))
    expect(served.openapi).toBe('3.1.0')
    expect(Object.keys(served.components.securitySchemes).sort()).toEqual(['apiKey', 'bearerAuth', 'cookieSession', 'csrfToken'])
    expect(served.paths['/v1/audio/{id}']?.get).toBeDefined()
  })

  it('takes request schemas from the validators: the tts body is the route’s own schema', () => {
    const body = (
      doc.paths['/v1/tts']!.post as { requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown>; additionalProperties: boolean } } } } }
    ).requestBody.content['application/json'].schema
    expect(Object.keys(body.properties).sort()).toEqual(['format', 'instruct', 'mode', 'speaker', 'text', 'voice_id'])
    expect(body.additionalProperties).toBe(false)
  })

  it('lists every status and code a route answers, including those of its auth and body', () => {
    const tts = doc.paths['/v1/tts']!.post as {
      responses: Record<string, { content?: { 'application/json': { schema: { properties: { error: { properties: { code: { enum: string[] } } } } } } } }>
    }
    const codes = (s: number) => tts.responses[s]!.content!['application/json'].schema.properties.error.properties.code.enum
    expect(codes(401)).toEqual(['invalid_token'])
    expect(codes(415)).toEqual(['unsupported_media_type'])
    expect(codes(429)).toEqual(expect.arrayContaining(['rate_limited', 'daily_quota', 'concurrency']))
  })
})

describe('responses are checked against the document', () => {
  it('refuses a status the route does not document', async () => {
    const res = new Response(JSON.stringify({ error: { code: 'conflict', message: 'x', request_id: null } }), { status: 409, headers: { 'content-type': 'application/json' } })
    await expect(checkAgainstOpenApi('GET', 'https://edge.test/v1/usage', res)).rejects.toThrow(/409, a status the OpenAPI document does not list/)
  })

  it('refuses an error code the status does not document', async () => {
    const res = new Response(JSON.stringify({ error: { code: 'made_up', message: 'x', request_id: 'r' } }), { status: 404, headers: { 'content-type': 'application/json' } })
    await expect(checkAgainstOpenApi('GET', 'https://edge.test/v1/audio/abc', res)).rejects.toThrow(/does not match the OpenAPI document/)
  })

  it('refuses a success body of the wrong shape', async () => {
    const res = Response.json({ tier: 'free' })
    await expect(checkAgainstOpenApi('GET', 'https://edge.test/v1/usage', res)).rejects.toThrow(/does not match/)
  })

  it('refuses a route the document lacks', async () => {
    const res = Response.json({ ok: true })
    await expect(checkAgainstOpenApi('GET', 'https://edge.test/v2/nothing', res)).rejects.toThrow(/no GET operation/)
  })

  it('an unknown path gets only the catch-all 404, or under /v1/ and /admin/ the auth refusal that comes first', async () => {
    const error = (status: number, code: string) => Response.json({ error: { code, message: 'x', request_id: 'r' } }, { status })
    await expect(checkAgainstOpenApi('GET', 'https://edge.test/v2/nothing', error(404, 'not_found'))).resolves.toBeUndefined()
    await expect(checkAgainstOpenApi('GET', 'https://edge.test/v1/nothing', error(401, 'invalid_token'))).resolves.toBeUndefined()
    await expect(checkAgainstOpenApi('HEAD', 'https://edge.test/admin/nothing', new Response(null, { status: 403 }))).resolves.toBeUndefined()
    await expect(checkAgainstOpenApi('GET', 'https://edge.test/v2/nothing', error(401, 'invalid_token'))).rejects.toThrow(/no GET operation/)
    await expect(checkAgainstOpenApi('GET', 'https://edge.test/v1/nothing', error(401, 'rate_limited'))).rejects.toThrow(/no GET operation/)
    await expect(checkAgainstOpenApi('GET', 'https://edge.test/v1/nothing', error(400, 'invalid_request'))).rejects.toThrow(/no GET operation/)
  })

  it('accepts a real conversation (every call() checks, this one on purpose)', async () => {
    const token = await tokenFor(uniqueUser())
    expect((await call('GET', '/v1/usage', { token })).status).toBe(200)
    const res = await call('POST', '/v1/tts', { token, json: { text: 'hi', mode: 'sft' } })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).code).toBe('invalid_request')
  })
})

describe('/docs', () => {
  it('is one self-contained page: no script, nothing fetched from elsewhere', async () => {
    const res = await call('GET', '/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await res.text()
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//i)
    for (const path of Object.keys(doc.paths)) expect(html).toContain(path)
  })
})

describe('README tables agree with the document', () => {
  const section = readme.slice(readme.indexOf('## HTTP API'), readme.indexOf('\n## ', readme.indexOf('## HTTP API') + 5))
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| method') && !l.startsWith('| status'))

  it('the route table has every documented route, and only those', () => {
    const inReadme = new Set<string>()
    for (const row of rows) {
      const first = row.split(' | ')[0]!
      // `GET /a`, `POST`/`DELETE /b?x=`: methods then one path.
      for (const m of first.matchAll(/((?:`(?:GET|POST|PUT|PATCH|DELETE)`\/)*)`(GET|POST|PUT|PATCH|DELETE) (\/[^`?\s]*)/g)) {
        const methods = [...(m[1] ?? '').matchAll(/`(\w+)`/g)].map((x) => x[1]!).concat(m[2]!)
        for (const method of methods) inReadme.add(`${method} ${m[3]!.replace(/<([^>]+)>/g, '{}')}`)
      }
    }
    const normalized = documented().map((r) => r.replace(/\{[^}]+\}/g, '{}'))
    expect(
      normalized.filter((r) => !inReadme.has(r)),
      'documented routes missing from the README table',
    ).toEqual([])
    expect(
      [...inReadme].filter((r) => !normalized.includes(r)),
      'README routes the document lacks',
    ).toEqual([])
  })

  it('the error table lists every documented status and code, and only those', () => {
    const table = new Map<number, Set<string>>()
    for (const row of rows) {
      const [statuses, codes] = row.slice(2).split(' | ')
      if (!/^\d{3}/.test(statuses ?? '')) continue
      const found = new Set([...(codes ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!))
      for (const s of statuses!.split('/').map((x) => Number(x.trim()))) table.set(s, found)
    }
    const missing: string[] = []
    const inDoc = new Set<string>()
    for (const item of Object.values(doc.paths))
      for (const op of Object.values(item) as {
        responses: Record<string, { content?: { 'application/json'?: { schema: { properties?: { error?: { properties: { code: { enum: string[] } } } } } } } }>
      }[])
        for (const [status, r] of Object.entries(op.responses))
          for (const code of r.content?.['application/json']?.schema.properties?.error?.properties.code.enum ?? []) {
            inDoc.add(code)
            if (!table.get(Number(status))?.has(code)) missing.push(`${status} ${code}`)
          }
    expect([...new Set(missing)], 'codes missing from the README error table').toEqual([])
    const extra = [...table.values()].flatMap((s) => [...s]).filter((c) => !inDoc.has(c))
    expect(extra, 'README codes no route answers').toEqual([])
  })
})
