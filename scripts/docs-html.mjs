#!/usr/bin/env node
// Writes the /docs page to a file (default docs.html) without a server: for reading offline and for
// docs/api-docs-offline.png (chromium --headless --screenshot of it, with the network cut off).
import { build } from 'esbuild'
import { writeFileSync } from 'node:fs'
const out = await build({
  stdin: {
    contents: "export { openApiDocument } from './src/openapi/openapi-document.ts'; export { docsPage } from './src/openapi/docs-page.ts'",
    resolveDir: new URL('..', import.meta.url).pathname,
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
  logLevel: 'error',
})
const m = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`)
const html = m.docsPage(m.openApiDocument())
writeFileSync(process.argv[2] ?? 'docs.html', html)
