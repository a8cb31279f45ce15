/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest'

/**
 * The folders of src/, bottom to top. A folder imports only from itself and from folders of a lower
 * layer; folders in one layer do not import each other. Type-only imports count too: a type is
 * still a dependency a reader has to follow. README.md ("Where things are") describes each folder.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['codecs', 'sql', 'log'], // pure byte and SQL helpers, the structured log: import nothing of ours
  ['config'], // settings, validated once
  ['http'], // errors, bodies, Range/ETag, bearer challenges, serving R2 objects
  ['storage', 'origin'], // R2 keys, recorder, listings · calling one GPU machine
  ['users'], // the user's Durable Object and the ledgers (SQLite tables) it runs
  ['auth'], // verifying tokens, cookie sessions, revocation checks, issuers
  ['tokens', 'limits', 'audit', 'pool', 'voices', 'audio', 'apikeys'], // capabilities, each on its own
  ['accounts', 'links'], // login and shares: use limits (anonymous limit) and tokens
  ['synthesis', 'preflight'], // the tts route: admission, origins, relay, recording · config:check's use of every validator
  ['moderation', 'console'], // takedowns, reports and their queue: reach audio, voices and shares · the browser console (HTTP API only)
  ['openapi'], // the OpenAPI document from every folder's api-docs.ts, /openapi.json and /docs
]

/** Files directly in src/: `index.ts` only wires; `env.ts` and `app-env.ts` are types everyone uses. */
const TYPE_HUBS = new Set(['env.ts', 'app-env.ts'])

interface Import {
  from: string
  spec: string
  typeOnly: boolean
}

/** Every static, re-export and `import('…')` specifier of a module, and whether it is type-only. */
function importsOf(from: string, source: string): Import[] {
  const found: Import[] = []
  const statement = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*'([^']+)'|(?:^|\n)\s*import\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g
  for (const m of source.matchAll(statement)) {
    if (m[4]) {
      const braces = /^\{([^}]*)\}$/.exec(m[3]!.trim())
      const names = braces
        ? braces[1]!
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : []
      const allTypes = names.length > 0 && names.every((n) => n.startsWith('type '))
      found.push({ from, spec: m[4], typeOnly: Boolean(m[2]) || allTypes })
    } else if (m[5]) found.push({ from, spec: m[5], typeOnly: false })
    else if (m[6]) found.push({ from, spec: m[6], typeOnly: true }) // `typeof import('…')` in a type position
  }
  return found
}

const resolve = (from: string, spec: string) => {
  const parts = from.split('/').slice(0, -1)
  for (const p of spec.split('/')) {
    if (p === '..') parts.pop()
    else if (p !== '.') parts.push(p)
  }
  return `${parts.join('/').replace(/\.ts$/, '')}.ts`
}

const folderOf = (path: string) => (path.includes('/') ? path.split('/')[0]! : null)
const layerOf = (folder: string) => LAYERS.findIndex((l) => l.includes(folder))
const isRoute = (path: string) => /-routes?\.ts$/.test(path)

/** The rule breaks in a set of modules (paths relative to src/, source text). */
function layerViolations(modules: Record<string, string>): string[] {
  const problems: string[] = []
  const durableObjects = new Set(Object.keys(modules).filter((p) => /extends DurableObject\b/.test(modules[p]!)))
  for (const [path, source] of Object.entries(modules)) {
    const folder = folderOf(path)
    if (folder && layerOf(folder) < 0) problems.push(`src/${folder}/ is in no layer: add it to LAYERS (test/layers.test.ts)`)
    for (const imp of importsOf(path, source)) {
      if (!imp.spec.startsWith('.')) continue
      const target = resolve(path, imp.spec)
      if (target.startsWith('../')) {
        problems.push(`src/${path} imports ${imp.spec}, outside src/`)
        continue
      }
      const targetFolder = folderOf(target)
      if (path === 'index.ts') continue
      if (!targetFolder) {
        if (!TYPE_HUBS.has(target)) problems.push(`src/${path} imports src/${target}: only index.ts may`)
        else if (!imp.typeOnly) problems.push(`src/${path} imports src/${target} for a value: it holds types only`)
        continue
      }
      if (isRoute(target)) problems.push(`src/${path} imports the routes of src/${target}: only index.ts wires routes`)
      if (durableObjects.has(target) && !imp.typeOnly && !durableObjects.has(path))
        problems.push(`src/${path} imports the Durable Object class src/${target} for a value: reach it through its stub (a type-only import)`)
      if (!folder || targetFolder === folder) continue
      const [a, b] = [layerOf(folder), layerOf(targetFolder)]
      if (b < 0) continue // reported above for the folder itself
      if (b === a) problems.push(`src/${path} imports src/${target}: ${folder}/ and ${targetFolder}/ share a layer and must not import each other`)
      else if (b > a) problems.push(`src/${path} imports src/${target}: ${folder}/ is below ${targetFolder}/`)
    }
  }
  return [...new Set(problems)].sort()
}

const sources = import.meta.glob<string>(['../src/**/*.ts', '!../src/**/*.test.ts'], { query: '?raw', import: 'default', eager: true })
const modules = Object.fromEntries(Object.entries(sources).map(([p, text]) => [p.replace(/^\.\.\/src\//, ''), text]))

describe('layers point one way', () => {
  it('reads the whole of src/', () => {
    expect(Object.keys(modules)).toEqual(expect.arrayContaining(['index.ts', 'users/user-object.ts', 'synthesis/tts-route.ts', 'codecs/base64.ts']))
    expect(Object.keys(modules).length).toBeGreaterThan(80)
  })

  it('no folder of src/ imports one above it, and routes and Durable Object classes are reached only the right way', () => {
    expect(layerViolations(modules)).toEqual([])
  })

  it('catches an upward import, a sideways one, a value import of a Durable Object, a route import and an unplaced folder', () => {
    const broken = {
      'limits/user-limits.ts': "import { requireUser } from '../auth/require-user'\nimport type { X } from '../synthesis/tts-request'",
      'users/share-ledger.ts': "import {\n  serveObject,\n} from '../http/serve-object'\nimport { audioView } from '../audio/audio-metadata'",
      'audio/audio-routes.ts': "import { type A, B } from '../voices/voice-store'",
      'auth/revocation-check.ts': "import { UserObject } from '../users/user-object'",
      'users/user-object.ts': 'export class UserObject extends DurableObject<Env> {}',
      'links/share-routes.ts': "export { audioRoutes } from '../audio/audio-routes'",
      'newthing/x.ts': "import type { Env } from '../env'",
      'http/read-json.ts': "const { A } = await import('../pool/pool-client')",
    }
    expect(layerViolations(broken)).toEqual([
      'src/audio/audio-routes.ts imports src/voices/voice-store.ts: audio/ and voices/ share a layer and must not import each other',
      'src/auth/revocation-check.ts imports the Durable Object class src/users/user-object.ts for a value: reach it through its stub (a type-only import)',
      'src/http/read-json.ts imports src/pool/pool-client.ts: http/ is below pool/',
      'src/limits/user-limits.ts imports src/synthesis/tts-request.ts: limits/ is below synthesis/',
      'src/links/share-routes.ts imports the routes of src/audio/audio-routes.ts: only index.ts wires routes',
      'src/newthing/ is in no layer: add it to LAYERS (test/layers.test.ts)',
      'src/users/share-ledger.ts imports src/audio/audio-metadata.ts: users/ is below audio/',
    ])
    // Same-folder and downward imports, and type-only use of a Durable Object, pass.
    expect(
      layerViolations({
        'synthesis/tts-route.ts': "import { audioMetadata } from '../audio/audio-metadata'\nimport type { UserObject } from '../users/user-object'",
        'users/user-object.ts': "import { ShareLedger } from './share-ledger'\nexport class UserObject extends DurableObject {}",
      }),
    ).toEqual([])
  })
})
