import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { OpenApiDocument } from './openapi-document'

// hono's `html` escapes every interpolated value; nothing in these templates is awaited, so each
// is a finished string.
type Fragment = HtmlEscapedString
const code = (value: unknown) => html`<pre>${JSON.stringify(value, null, 2)}</pre>` as Fragment

interface Operation {
  operationId: string
  summary: string
  description?: string
  tags: string[]
  security: unknown[]
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: unknown }[]
  requestBody?: { content: Record<string, { schema: unknown }> }
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>
}

/**
 * `/docs`: the document rendered once into plain HTML and CSS, no script and nothing fetched from
 * elsewhere (a renderer from a CDN would make the docs depend on a third party and break offline).
 */
export function docsPage(doc: OpenApiDocument): string {
  const ops: { method: string; path: string; op: Operation }[] = []
  for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) ops.push({ method, path, op: op as Operation })
  const sections = doc.tags.map(({ name, description }) => {
    const mine = ops.filter((o) => o.op.tags.includes(name))
    return html`<section><h2 id="tag-${name}">${name}</h2><p>${description}</p>${mine.map(operationHtml)}</section>`
  })
  const toc = ops.map((o) => html`<li><a href="#${o.op.operationId}"><b class="m-${o.method}">${o.method.toUpperCase()}</b> ${o.path}</a></li>`)
  const schemes = Object.entries(doc.components.securitySchemes).map(([name, s]) => html`<li><b>${name}</b>: ${s.description}</li>`)
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${doc.info.title} API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;display:flex;color:#1d1d1f}
nav{width:300px;height:100vh;overflow:auto;position:sticky;top:0;background:#f5f5f7;padding:16px;box-sizing:border-box;font-size:13px}
nav ul{list-style:none;padding:0}nav a{color:inherit;text-decoration:none}
main{flex:1;padding:24px 40px;max-width:960px}
details{border:1px solid #ddd;border-radius:6px;margin:8px 0;padding:8px 12px}
summary{cursor:pointer}pre{background:#f5f5f7;padding:8px;overflow:auto;font-size:12px}
b[class^=m-]{display:inline-block;width:56px;font-family:monospace}
.m-get{color:#0a7d32}.m-post{color:#0055b3}.m-delete{color:#b3261e}.m-put,.m-patch{color:#8a5a00}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
</style></head>
<body><nav><h3>${doc.info.title} ${doc.info.version}</h3><p><a href="/openapi.json">openapi.json</a></p><ul>${toc}</ul></nav>
<main><h1>${doc.info.title} API</h1><p>${doc.info.description}</p>
<h2>Authentication</h2><ul>${schemes}</ul>
${sections}
</main></body></html>`
  return page.toString()
}

function operationHtml({ method, path, op }: { method: string; path: string; op: Operation }): Fragment {
  const auth = op.security.length === 0 ? 'none' : 'bearer token, API key or cookie session'
  const params = op.parameters?.length
    ? html`<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>${op.parameters.map(
        (p) => html`<tr><td>${p.name}</td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td>${p.description ?? JSON.stringify(p.schema)}</td></tr>`,
      )}</table>`
    : ''
  const body = op.requestBody ? html`<h4>Request body</h4>${Object.entries(op.requestBody.content).map(([media, c]) => html`<p>${media}</p>${code(c.schema)}`)}` : ''
  const responses = Object.entries(op.responses).map(([status, r]) => html`<tr><td>${status}</td><td>${r.description}</td></tr>`)
  const schemas = Object.entries(op.responses)
    .filter(([status, r]) => Number(status) < 400 && r.content?.['application/json'])
    .map(([status, r]) => html`<p>${status}</p>${code(r.content!['application/json']!.schema)}`)
  return html`<details id="${op.operationId}"><summary><b class="m-${method}">${method.toUpperCase()}</b> <code>${path}</code> ${op.summary}</summary>
<p>${op.description ?? ''}</p><p>Auth: ${auth}</p>${params}${body}<h4>Responses</h4><table>${responses}</table>${schemas}</details>` as Fragment
}
