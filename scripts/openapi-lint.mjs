#!/usr/bin/env node
// Lints the Worker's OpenAPI document with an independent tool (Redocly's "recommended" rules):
// `npm run openapi:lint`, part of `npm run check`. The document is built by the Worker's own code
// (src/openapi/openapi-document.ts, bundled for Node here), so what is linted is what is served.
// Exit 1 on any error; warnings are printed.
import { build } from 'esbuild'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import { writeFileSync } from 'node:fs'

const bundled = await build({
  entryPoints: [new URL('../src/openapi/openapi-document.ts', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
  logLevel: 'error',
})
const { openApiDocument } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`)
const source = JSON.stringify(openApiDocument(), null, 2)
if (process.argv[2] === '--write') writeFileSync(process.argv[3] ?? 'openapi.json', source)

const config = await createConfig({ extends: ['recommended'], rules: { 'info-license-url': 'off' } })
const problems = await lintFromString({ source, absoluteRef: 'openapi.json', config })
const errors = problems.filter((p) => p.severity === 'error')
for (const p of problems) console.log(`${p.severity}: ${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer ?? ''}`)
const paths = Object.keys(JSON.parse(source).paths).length
console.log(`openapi:lint: ${paths} paths, ${errors.length} errors, ${problems.length - errors.length} warnings`)
process.exit(errors.length ? 1 : 0)
