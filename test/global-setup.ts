import type { TestProject } from 'vitest/node'
import { startOrigin } from '../dev/origin.mjs'
import { TEST_SECRETS } from './support/test-secrets'
import { startJwksServer } from './support/jwks-server.mjs'

declare module 'vitest' {
  export interface ProvidedContext {
    originUrls: string[]
    /** Loopback identity provider: /<tenant>/jwks.json, /sign, /rotate, /stats. */
    jwksUrl: string
  }
}

/**
 * Real CosyVoice-protocol servers on loopback (the dev origin), started once for the whole run.
 * The primary one checks the edge proof with the test ORIGIN_SECRET.
 */
export default async function setup(project: TestProject) {
  const primary = await startOrigin({ port: 0, secret: TEST_SECRETS.ORIGIN_SECRET, engine: 'espeak' })
  project.provide('originUrls', [primary.url])
  const idp = await startJwksServer()
  project.provide('jwksUrl', idp.url)
  return async () => {
    await idp.close()
    await primary.close()
  }
}
