// A loopback OpenID provider for tests: one server, many tenants, each an issuer with its own
// signing key, JWKS, discovery document and token shape. Node only (started in globalSetup).
import { createServer } from 'node:http'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

/**
 * A tenant named `t` is the issuer `<url>/t<issuerPath>` (issuerPath: '' unless set; Auth0's
 * issuers end in '/', Keycloak's in '/realms/<realm>'). Routes (all JSON):
 *   GET  /t/jwks.json                        the tenant's public keys (counted: `fetches`)
 *   GET  /t/cdn-cgi/access/certs             the same keys where Cloudflare Access publishes them
 *   GET  <issuer minus trailing />/.well-known/openid-configuration
 *                                            its discovery document (counted: `discoveryFetches`)
 *   POST /t/sign      {claims, kid?, alg?} → {token}: signed with the current key; `kid` and `alg`
 *                                            override the header's (unknown-kid tokens, EdDSA vs Ed25519)
 *   POST /t/rotate                        → {kid}: a new current key replaces the old one
 *   POST /t/discovery {mode}              'ok', 'down' (503) or 'mismatch' (names the issuer with a '/' added)
 *   GET  /t/stats                         → {fetches, discoveryFetches, kid, issuer}
 *
 * Only the tenants it is started with exist: any other name answers 404, as a real provider's
 * unknown realm or tenant does (an edge pointed at one must see it fail). Tenant options:
 *   alg               RS256 | ES256 | Ed25519 | EdDSA (the header's alg; the key is generated for it)
 *   jwkAlg            the JWK's `alg` (default: alg; null leaves it out, as many providers do)
 *   issuerPath        appended to <url>/<name> to make the issuer
 *   discovery         'ok' (default), 'down' or 'mismatch'
 */
export async function startJwksServer({ port = 0, host = '127.0.0.1', tenants: options = {} } = {}) {
  const tenants = new Map()
  let generation = 0
  let base = ''

  async function newKey(alg, jwkAlg) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    const kid = `k${++generation}-${Math.random().toString(36).slice(2, 8)}`
    const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig' }
    const published = jwkAlg === undefined ? alg : jwkAlg
    if (published !== null) jwk.alg = published
    return { kid, privateKey, jwk }
  }

  // The promise is what is kept: two first requests at once (test files run side by side) must not
  // each make a key, the second replacing the one the first signed with.
  function tenant(name) {
    if (!tenants.has(name)) {
      const o = options[name]
      const alg = o.alg ?? 'ES256'
      tenants.set(
        name,
        newKey(alg, o.jwkAlg).then((key) => ({
          alg,
          jwkAlg: o.jwkAlg,
          issuer: `${base}/${name}${o.issuerPath ?? ''}`,
          discovery: o.discovery ?? 'ok',
          key,
          fetches: 0,
          discoveryFetches: 0,
        })),
      )
    }
    return tenants.get(name)
  }

  const server = createServer(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const body = async () => {
      let text = ''
      for await (const chunk of req) text += chunk
      return text ? JSON.parse(text) : {}
    }
    try {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      const m = /^\/([a-z0-9-]+)(\/.*)$/.exec(path)
      if (!m) return send(404, { error: 'no such route' })
      if (!Object.hasOwn(options, m[1])) return send(404, { error: `no tenant ${m[1]}` })
      const t = await tenant(m[1])
      const route = m[2]
      const discoveryPath = `${t.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`.slice(base.length)
      if (req.method === 'GET' && path === discoveryPath) {
        t.discoveryFetches++
        if (t.discovery === 'down') return send(503, { error: 'unavailable' })
        return send(200, {
          issuer: t.discovery === 'mismatch' ? `${t.issuer}/` : t.issuer,
          jwks_uri: `${base}/${m[1]}/jwks.json`,
          authorization_endpoint: `${t.issuer.replace(/\/+$/, '')}/authorize`,
          token_endpoint: `${t.issuer.replace(/\/+$/, '')}/token`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [t.alg],
        })
      }
      if (req.method === 'GET' && (route === '/jwks.json' || route === '/cdn-cgi/access/certs')) {
        t.fetches++
        return send(200, { keys: [t.key.jwk] })
      }
      if (req.method === 'GET' && route === '/stats') return send(200, { fetches: t.fetches, discoveryFetches: t.discoveryFetches, kid: t.key.kid, issuer: t.issuer })
      if (req.method === 'POST' && route === '/rotate') {
        t.key = await newKey(t.alg, t.jwkAlg)
        return send(200, { kid: t.key.kid })
      }
      if (req.method === 'POST' && route === '/discovery') {
        const { mode } = await body()
        if (!['ok', 'down', 'mismatch'].includes(mode)) return send(400, { error: 'mode must be ok, down or mismatch' })
        t.discovery = mode
        return send(200, { mode })
      }
      if (req.method === 'POST' && route === '/sign') {
        const { claims, kid, alg } = await body()
        const token = await new SignJWT(claims).setProtectedHeader({ alg: alg ?? t.alg, kid: kid ?? t.key.kid, typ: 'JWT' }).sign(t.key.privateKey)
        return send(200, { token })
      }
      return send(404, { error: 'no such route' })
    } catch (e) {
      send(500, { error: String(e) })
    }
  })
  await /** @type {Promise<void>} */ (new Promise((resolve) => server.listen(port, host, resolve)))
  const { port: bound } = /** @type {import('node:net').AddressInfo} */ (server.address())
  base = `http://${host}:${bound}`
  return {
    url: base,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}
