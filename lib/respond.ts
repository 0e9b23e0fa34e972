import type { FastifyReply, FastifyRequest } from 'fastify'
import { ABOUT_BLANK, type Problem, type ProblemHeaders } from './problem.js'
import type { Settings } from './options.js'
import { CONTENT_TYPES, negotiate } from './negotiate.js'
import { serializeJson, type Rendering } from './serialize.js'
import { logProblem } from './log.js'
import { pathOf } from './url.js'

/** Sent when building the problem itself failed: a last resort with no moving parts. */
const LAST_RESORT = '{"type":"about:blank","title":"Internal Server Error","status":500}'

const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:/
// RFC 9110 §5.1 token, and §5.5 field values without CR, LF or NUL; non-ASCII
// is refused too, since Node would reject or mangle it.
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const headerValue = /^[\t\x20-\x7e]*$/
/** Headers this plugin owns on a problem response. */
const OWN_HEADERS = new Set(['content-type', 'content-length', 'content-language', 'transfer-encoding', 'vary'])

/**
 * A relative `type` resolved against the app's `typeBase` (RFC 3986 §5), cached:
 * the set of types an app answers with is small.
 */
export function resolveType (type: string, settings: Settings): string {
  const base = settings.typeBase
  if (type === ABOUT_BLANK || base === undefined) return type
  let resolved = settings.typeCache.get(type)
  if (resolved === undefined) {
    if (hasScheme.test(type)) {
      resolved = type
    } else if (base.startsWith('/')) {
      // A path-only base: resolve on a placeholder origin and keep the path.
      const url = new URL(type, 'http://base.invalid' + base)
      resolved = url.pathname + url.search + url.hash
    } else {
      resolved = new URL(type, base).href
    }
    if (settings.typeCache.size < 10000) settings.typeCache.set(type, resolved)
  }
  return resolved
}

function instanceFor (request: FastifyRequest, settings: Settings): string | undefined {
  const option = settings.instance
  if (option === 'path') return pathOf(request.url)
  if (option === false) return undefined
  try {
    const value = option(request)
    return typeof value === 'string' ? value : undefined
  } catch (err) {
    request.log.warn({ err }, 'fastify-problem-details: the instance option threw; instance left out')
    return undefined
  }
}

/** Sets the problem's own headers; a name or value that could inject or break the response is dropped. */
function setProblemHeaders (reply: FastifyReply, headers: ProblemHeaders): void {
  let names: string[]
  try {
    names = Object.keys(headers)
  } catch {
    return
  }
  for (const name of names) {
    let value: unknown
    try {
      value = headers[name]
    } catch {
      continue
    }
    if (typeof value === 'number' && Number.isFinite(value)) value = String(value)
    if (typeof value !== 'string' || !headerName.test(name) || !headerValue.test(value)) continue
    if (OWN_HEADERS.has(name.toLowerCase())) continue
    reply.header(name, value)
  }
}

/** Adds to `Vary` rather than replacing what CORS or compression put there. */
function addVary (reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary')
  if (current === undefined) {
    reply.header('vary', field)
  } else if (typeof current === 'string' && !current.toLowerCase().includes(field.toLowerCase()) && current !== '*') {
    reply.header('vary', current + ', ' + field)
  }
}

/** The error's `code` for compat mode: only for problems a client may see the code of. */
function codeOf (error: unknown, status: number): string | undefined {
  if (status >= 500 || error === null || typeof error !== 'object') return undefined
  try {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' ? code : undefined
  } catch {
    return undefined
  }
}

/**
 * Sends a problem: the one place that decides status, headers and body of a
 * problem response, and logs it. `error` is what was thrown, if anything.
 */
export function sendProblem (reply: FastifyReply, problem: Problem, settings: Settings, error?: unknown): FastifyReply {
  const request = reply.request
  const status = problem.status
  let body: string
  let format
  try {
    format = negotiate(request.headers.accept)
    const rendering: Rendering = {
      status,
      type: resolveType(problem.type, settings),
      title: problem.title,
      detail: problem.detail,
      instance: problem.instance ?? instanceFor(request, settings),
      extensions: problem.extensions,
      requestIdMember: settings.requestIdMember,
      requestId: request.id,
      code: settings.compat === 'fastify' ? codeOf(error, status) : undefined,
      compat: settings.compat === 'fastify'
    }
    body = serializeJson(rendering)
    reply.code(status)
    if (problem.headers !== undefined) setProblemHeaders(reply, problem.headers)
    // RFC 9111 §5.2.2.5: an error about this moment must not be replayed from a cache.
    if (status >= 500) reply.header('cache-control', 'no-store')
    addVary(reply, 'Accept')
    reply.header('content-type', CONTENT_TYPES[format])
    logProblem(request, rendering, error, settings)
  } catch (err) {
    request.log.error({ err }, 'fastify-problem-details: could not build the problem response')
    reply.code(500)
    reply.header('content-type', CONTENT_TYPES[0])
    body = LAST_RESORT
  }
  return reply.send(body)
}
