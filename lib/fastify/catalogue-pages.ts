import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify'
import type { Settings } from './options.js'
import { RegistrationError } from '../errors.js'
import type { ProblemTypeEntry } from '../model/catalogue.js'
import type { ProblemRegistry } from '../mapping/registry.js'
import { reasonPhrase } from '../model/status.js'
import { resolveType } from '../response/render.js'
import { acceptWeight, parseAccept } from '../response/negotiate.js'
import { pathOf } from '../response/url.js'

/**
 * The served problem-type catalogue (RFC 9457 §3.1.1: a type URI should
 * resolve to human-readable documentation). Under the path of `typeBase`:
 * one page per defined type at the path its `type` resolves to, and an index
 * at the base itself that answers HTML or JSON by `Accept`. Everything is
 * rendered once, at ready; a request only picks a string.
 */

const CSS = 'body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:52rem;margin:0 auto;padding:1rem 1.25rem;color:#1b1b1b;background:#fff}' +
  'a{color:#0b57d0}a:focus{outline:2px solid #0b57d0;outline-offset:2px}h1{font-size:1.75rem;margin:.5rem 0 1rem}h2{font-size:1.25rem;margin-top:2rem}' +
  'table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:600;padding:.25rem 0}th,td{text-align:left;vertical-align:top;padding:.4rem .6rem;border-bottom:1px solid #c4c4c4}' +
  'code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}pre{background:#f3f3f3;padding:1rem;overflow:auto;border-radius:4px}dt{font-weight:600}dd{margin:0 0 .5rem}'

// A strict policy: nothing but this stylesheet; no scripts, images, frames or forms.
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; ` +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const SPECIAL = /[&<>"']/g

/** Text and attribute values for HTML: every character that could end one is escaped. */
export function escapeHtml (value: unknown): string {
  return String(value).replace(SPECIAL, (c) => ESCAPES[c])
}

type Schema = Record<string, unknown> | undefined

/** A schema as a short type expression for people: `number`, `array of string`, `"a" | "b"`. */
export function describeType (schema: Schema, depth = 0): string {
  if (schema === undefined || schema === null || typeof schema !== 'object' || depth > 4) return 'any'
  if ('const' in schema) return JSON.stringify(schema.const)
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ')
  const alternatives = schema.anyOf ?? schema.oneOf
  if (Array.isArray(alternatives)) return alternatives.map((s: Schema) => describeType(s, depth + 1)).join(' | ')
  if (typeof schema.$ref === 'string') return schema.$ref.replace(/#$/, '')
  const type = schema.type
  if (Array.isArray(type)) return type.join(' | ')
  if (type === 'array') return 'array of ' + describeType(schema.items as Schema, depth + 1)
  if (type === 'object') {
    const properties = schema.properties as Record<string, Schema> | undefined
    if (properties === undefined || Object.keys(properties).length === 0) return 'object'
    const required = new Set(Array.isArray(schema.required) ? schema.required : [])
    return 'object { ' + Object.keys(properties).map((name) =>
      name + (required.has(name) ? '' : '?') + ': ' + describeType(properties[name], depth + 1)).join(', ') + ' }'
  }
  if (type === 'string' && typeof schema.format === 'string') return `string (${schema.format})`
  return typeof type === 'string' ? type : 'any'
}

const FORMAT_EXAMPLES: Record<string, string> = {
  'date-time': '2026-01-01T12:00:00Z',
  date: '2026-01-01',
  email: 'user@example.com',
  uri: 'https://example.com/',
  'uri-reference': '/example',
  uuid: '3f2b8c1e-0d4a-4c8e-9a6b-2f1d7e5c9b10'
}

/** An example value of a schema: its own `examples`, `default`, `const` or `enum`, else a placeholder of its type. */
export function exampleOf (schema: Schema, depth = 0): unknown {
  if (schema === undefined || schema === null || typeof schema !== 'object' || depth > 6) return null
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0]
  if ('example' in schema) return schema.example
  if ('default' in schema) return schema.default
  if ('const' in schema) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  const alternatives = schema.anyOf ?? schema.oneOf
  if (Array.isArray(alternatives) && alternatives.length > 0) return exampleOf(alternatives[0] as Schema, depth + 1)
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string': return FORMAT_EXAMPLES[schema.format as string] ?? 'string'
    case 'integer':
    case 'number': return typeof schema.minimum === 'number' ? schema.minimum : 0
    case 'boolean': return true
    case 'null': return null
    case 'array': return [exampleOf(schema.items as Schema, depth + 1)]
    case 'object': {
      const out: Record<string, unknown> = {}
      const properties = (schema.properties ?? {}) as Record<string, Schema>
      for (const name of Object.keys(properties)) out[name] = exampleOf(properties[name], depth + 1)
      return out
    }
    default: return null
  }
}

function page (title: string, body: string): string {
  return '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head>` +
    `<body><main>${body}</main></body></html>\n`
}

/** A type as the catalogue shows it to one app. */
interface Rendered {
  readonly entry: ProblemTypeEntry
  /** `type` resolved against this app's typeBase */
  readonly uri: string
  /** path below the base where its page is served, or undefined when the type lives elsewhere */
  readonly rel: string | undefined
}

/** The index's JSON form and each type page's: what a program needs to know about a type. */
function typeJson (r: Rendered): Record<string, unknown> {
  const { entry } = r
  return {
    type: r.uri,
    title: entry.title,
    status: entry.status,
    description: entry.description,
    // The type URI is its own documentation when it is served here.
    page: r.rel === undefined ? undefined : r.uri,
    schemaId: entry.schemaId,
    schema: entry.schema
  }
}

function typePage (r: Rendered, settings: Settings): string {
  const { entry } = r
  const depth = r.rel === undefined ? 0 : r.rel.split('/').length - 1
  const indexHref = depth === 0 ? './' : '../'.repeat(depth)
  const properties = (entry.extensions?.properties ?? {}) as Record<string, Schema>
  const required = new Set(entry.extensions?.required ?? [])
  const names = Object.keys(properties)

  const example: Record<string, unknown> = {
    type: r.uri,
    title: entry.title,
    status: entry.status,
    detail: 'An explanation specific to this occurrence.',
    instance: '/example/request/path'
  }
  if (settings.requestIdMember !== false) example[settings.requestIdMember] = 'req-1'
  for (const name of names) example[name] = exampleOf(properties[name])

  let members = '<h2 id="members">Extension members</h2>'
  if (names.length === 0) {
    members += '<p>None: problems of this type carry the standard members only.</p>'
  } else {
    members += '<table aria-labelledby="members"><thead><tr><th scope="col">Member</th><th scope="col">Type</th>' +
      '<th scope="col">Required</th><th scope="col">Description</th></tr></thead><tbody>'
    for (const name of names) {
      const schema = properties[name]
      members += `<tr><th scope="row"><code>${escapeHtml(name)}</code></th><td><code>${escapeHtml(describeType(schema))}</code></td>` +
        `<td>${required.has(name) ? 'yes' : 'no'}</td><td>${escapeHtml(typeof schema?.description === 'string' ? schema.description : '')}</td></tr>`
    }
    members += '</tbody></table>'
  }

  const headers = entry.headers === undefined ? [] : Object.keys(entry.headers)
  return page(`${entry.title} · Problem type`,
    `<nav aria-label="Breadcrumb"><a href="${escapeHtml(indexHref)}">All problem types</a></nav>` +
    `<h1>${escapeHtml(entry.title)}</h1>` +
    (entry.description === undefined ? '' : `<p>${escapeHtml(entry.description)}</p>`) +
    '<dl>' +
    `<dt>Type URI</dt><dd><code>${escapeHtml(r.uri)}</code></dd>` +
    `<dt>HTTP status</dt><dd>${entry.status} ${escapeHtml(reasonPhrase(entry.status))}</dd>` +
    '<dt>Media type</dt><dd><code>application/problem+json</code></dd>' +
    `<dt>Schema</dt><dd><code>${escapeHtml(entry.schemaId)}</code></dd>` +
    (headers.length === 0 ? '' : `<dt>Headers</dt><dd>${headers.map((h) => `<code>${escapeHtml(h)}</code>`).join(', ')}</dd>`) +
    '</dl>' +
    members +
    '<h2 id="example">Example</h2>' +
    `<pre><code>${escapeHtml(JSON.stringify(example, null, 2))}</code></pre>`)
}

function indexPage (rendered: readonly Rendered[]): string {
  let body = '<h1>Problem types</h1>' +
    '<p>The problem types this API answers with, as <code>application/problem+json</code> (RFC 9457). ' +
    'Each <code>type</code> URI below is documented on its own page.</p>'
  if (rendered.length === 0) {
    body += '<p>No problem types are defined.</p>'
  } else {
    body += '<table><caption>Defined problem types</caption><thead><tr><th scope="col">Title</th><th scope="col">Status</th>' +
      '<th scope="col">Type URI</th></tr></thead><tbody>'
    for (const r of rendered) {
      const title = r.rel === undefined ? escapeHtml(r.entry.title) : `<a href="${escapeHtml(r.rel)}">${escapeHtml(r.entry.title)}</a>`
      body += `<tr><th scope="row">${title}</th><td>${r.entry.status}</td><td><code>${escapeHtml(r.uri)}</code></td></tr>`
    }
    body += '</tbody></table>'
  }
  return page('Problem types', body)
}

interface Pages {
  readonly indexHtml: string
  readonly indexJson: string
  /** by path below the base */
  readonly types: Map<string, { html: string, json: string }>
}

/** The path below `basePath` where a resolved type is served, if it is served here at all. */
function relativePath (uri: string, settings: Settings, basePath: string, origin: string | undefined): string | undefined {
  let path = uri
  if (origin !== undefined) {
    // Absolute: defineProblem() has checked that every type parses as a URL.
    const url = new URL(uri)
    if (url.origin !== origin || url.search !== '' || url.hash !== '') return undefined
    path = url.pathname
  } else if (path.includes('?') || path.includes('#')) {
    return undefined
  }
  if (!path.startsWith(basePath) || path.length === basePath.length) return undefined
  return path.slice(basePath.length)
}

function render (documented: readonly ProblemTypeEntry[], settings: Settings, basePath: string, origin: string | undefined): Pages {
  const rendered: Rendered[] = []
  const types = new Map<string, { html: string, json: string }>()
  for (const entry of documented) {
    const uri = resolveType(entry.type, settings)
    const r: Rendered = { entry, uri, rel: relativePath(uri, settings, basePath, origin) }
    rendered.push(r)
    if (r.rel !== undefined) types.set(r.rel, { html: typePage(r, settings), json: JSON.stringify(typeJson(r)) })
  }
  return {
    indexHtml: indexPage(rendered),
    indexJson: JSON.stringify({ types: rendered.map(typeJson) }),
    types
  }
}

/** True when the client prefers JSON to HTML (RFC 9110 §12.5.1); HTML when it does not say. */
export function prefersJson (accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return false
  // The weighting rule of problem responses (lib/response/negotiate.ts); a tie is HTML.
  const ranges = parseAccept(accept)
  return acceptWeight(ranges, 'application', 'json') > acceptWeight(ranges, 'text', 'html')
}

function asIs (body: string): string {
  return body
}

function send (reply: FastifyReply, html: string, json: string, request: FastifyRequest): FastifyReply {
  reply.header('vary', 'Accept')
  reply.header('cache-control', 'public, max-age=300')
  reply.header('x-content-type-options', 'nosniff')
  // A serializer that returns the string as is: without one, Fastify appends
  // `; charset=utf-8`, which `application/json` does not define (RFC 8259 §11).
  if (prefersJson(request.headers.accept)) return reply.type('application/json').serializer(asIs).send(json)
  reply.header('content-security-policy', CSP)
  return reply.type('text/html; charset=utf-8').send(html)
}

/**
 * Serves the catalogue under the path of `typeBase` (`typeDocs: true`): the
 * types this app documents (`registry.types`). The pages are built at ready,
 * when every route has named its types.
 */
export function registerCatalogue (fastify: FastifyInstance, settings: Settings, registry: ProblemRegistry): void {
  const typeBase = settings.typeBase as string
  const origin = typeBase.startsWith('/') ? undefined : new URL(typeBase).origin
  const basePath = origin === undefined ? typeBase : new URL(typeBase).pathname
  if (basePath === '/') {
    throw new RegistrationError('typeDocs needs a typeBase with a path of its own, such as "/problems/": ' +
      'the catalogue is served under it and would otherwise take every path of the API')
  }

  let pages: Pages | undefined
  fastify.addHook('onReady', async function buildCatalogue () {
    pages = render(registry.types, settings, basePath, origin)
  })

  // A wildcard under the base: routes the application declares there win
  // (find-my-way ranks static and parametric routes first).
  fastify.get(basePath + '*', { schema: { hide: true } as FastifySchema }, function problemTypeCatalogue (request, reply) {
    const built = pages as Pages
    const rel = pathOf(request.url).slice(basePath.length)
    if (rel === '') return send(reply, built.indexHtml, built.indexJson, request)
    const found = built.types.get(rel)
    if (found === undefined) return reply.notFound('No problem type is documented at this URI')
    return send(reply, found.html, found.json, request)
  })
}
