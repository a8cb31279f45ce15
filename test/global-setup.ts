import type { TestProject } from 'vitest/node'
import { PRESET_SPEAKERS, startOrigin } from '../dev/origin.mjs'
import { TEST_SECRETS } from './support/test-secrets'
import { startJwksServer } from './support/jwks-server.mjs'
import { startSocketEdge } from './support/socket-edge.mjs'
import { IDP, TENANTS } from './support/auth-fixtures'
import { makeTestSigningKeys } from './support/signing-keys'

/**
 * Real CosyVoice-protocol servers on loopback (the dev origin), started once for the whole run.
 * They fail the way the stock server fails; the tests' fault directives ([[dev:…]]) are switched on
 * explicitly, and their speakers are the presets the test ORIGINS declare. Each checks the edge
 * proof with the test ORIGIN_SECRET.
 *
 * The primary one, every test's ORIGINS, makes tones: fast and deterministic, for the many tests
 * about what the edge does with audio rather than what the audio says. The speech origin (eSpeak,
 * one synthesis at a time) serves the tests where real speech is the point.
 */
const devOrigin = { port: 0, secret: TEST_SECRETS.ORIGIN_SECRET, speakers: PRESET_SPEAKERS, directives: true }

export default async function setup(project: TestProject) {
  // Everything starts at once: the origins, the IdP and the socket edge do not depend on each other.
  const [primary, speech, signingKeys, idp, single1, single2, broken, v2, fuzz, queue, refused] = await Promise.all([
    startOrigin({ ...devOrigin, engine: 'tone' }),
    startOrigin({ ...devOrigin, engine: 'espeak' }),
    makeTestSigningKeys(),
    // The provider's own tenants, and those the entries with an explicit jwks_uri use (all but `down`).
    startJwksServer({ tenants: { ...TENANTS, [IDP.stable.tenant]: {}, [IDP.rotating.tenant]: {}, [IDP.flood.tenant]: {} } }),
    // Tone engine: fast and deterministic, the pool tests are about who gets a GPU, not the speech.
    startOrigin({ ...devOrigin, engine: 'tone', maxConcurrent: 1 }),
    startOrigin({ ...devOrigin, engine: 'tone', maxConcurrent: 1 }),
    startOrigin({ ...devOrigin, engine: 'tone', maxConcurrent: 1, fault: 'error' }),
    startOrigin({ ...devOrigin, engine: 'tone', model: 'cosyvoice2' }),
    // Faithful and without directives: fuzzed text must never be able to switch a dev fault on.
    startOrigin({ port: 0, secret: TEST_SECRETS.ORIGIN_SECRET, engine: 'tone' }),
    // One GPU kept busy by test/request-path.test.ts: test files run side by side, and the pool tests
    // count what their single-slot origins see.
    startOrigin({ ...devOrigin, engine: 'tone', maxConcurrent: 1 }),
    closedPortUrl(),
  ])
  const pool = { single1, single2, broken, v2, fuzz, queue }
  const socketEdge = await startSocketEdge({ originUrl: primary.url, secrets: TEST_SECRETS })
  project.provide('originUrls', [primary.url])
  project.provide('speechOriginUrl', speech.url)
  project.provide('signingKeys', signingKeys)
  project.provide('jwksUrl', idp.url)
  project.provide('fuzzOrigin', fuzz.url)
  project.provide('poolOrigins', { single1: single1.url, single2: single2.url, broken: broken.url, v2: v2.url, refused })
  project.provide('queueOrigin', queue.url)
  project.provide('socketEdgeUrl', socketEdge.url)
  return async () => {
    await socketEdge.close()
    await Promise.all(Object.values(pool).map((o) => o.close()))
    await idp.close()
    await primary.close()
    await speech.close()
  }
}

/** A loopback address nothing listens on: an origin started and closed again. */
async function closedPortUrl(): Promise<string> {
  const gone = await startOrigin({ port: 0, engine: 'tone' })
  await gone.close()
  return gone.url
}
