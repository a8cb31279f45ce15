// A loopback identity provider for tests: serves a JWKS per tenant, signs tokens with the
// tenant's current key, rotates keys on request, and counts JWKS fetches. Node only (globalSetup).
import { createServer } from 'node:http'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

/**
 * Routes (all JSON):
 *   GET  /<tenant>/jwks.json   the tenant's public keys (counted in stats)
 *   POST /<tenant>/sign        body {claims, kid?} → {token}: signed with the current key
 *                              (`kid` overrides the header's kid, to make unknown-kid tokens)
 *   POST /<tenant>/rotate      a new current key replaces the old one in the JWKS → {kid}
 *   GET  /<tenant>/stats       {fetches, kid}
 * Tenants are created on first use, each with an ES256 key.
 */
export async function startJwksServer({ port = 0, host = '127.0.0.1' } = {}) {
  const tenants = new Map()
  let generation = 0

  async function newKey() {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const kid = `k${++generation}-${Math.random().toString(36).slice(2, 8)}`
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } }
  }

  async function tenant(name) {
    if (!tenants.has(name)) tenants.set(name, { key: await newKey(), fetches: 0 })
    return tenants.get(name)
  }

  const server = createServer(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    try {
      const m = /^\/([a-z0-9-]+)\/(jwks\.json|sign|rotate|stats)$/.exec(new URL(req.url ?? '/', 'http://x').pathname)
      if (!m) return send(404, { error: 'no such route' })
      const t = await tenant(m[1])
      if (m[2] === 'jwks.json' && req.method === 'GET') {
        t.fetches++
        return send(200, { keys: [t.key.jwk] })
      }
      if (m[2] === 'stats') return send(200, { fetches: t.fetches, kid: t.key.kid })
      if (m[2] === 'rotate' && req.method === 'POST') {
        t.key = await newKey()
        return send(200, { kid: t.key.kid })
      }
      if (m[2] === 'sign' && req.method === 'POST') {
        let text = ''
        for await (const chunk of req) text += chunk
        const { claims, kid } = JSON.parse(text)
        const token = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: kid ?? t.key.kid, typ: 'JWT' }).sign(t.key.privateKey)
        return send(200, { token })
      }
      return send(405, { error: 'method not allowed' })
    } catch (e) {
      send(500, { error: String(e) })
    }
  })
  await /** @type {Promise<void>} */ (new Promise((resolve) => server.listen(port, host, resolve)))
  const { port: bound } = /** @type {import('node:net').AddressInfo} */ (server.address())
  return {
    url: `http://${host}:${bound}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}
