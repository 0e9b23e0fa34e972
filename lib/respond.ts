import type { FastifyReply, FastifyRequest } from 'fastify'
import { ABOUT_BLANK, type Problem, type ProblemHeaders } from './problem.js'
import type { Settings } from './options.js'
import { CONTENT_TYPES, PROBLEM_XML, negotiate } from './negotiate.js'
import { serializeJson, type Rendering } from './serialize.js'
import { serializeXml } from './xml.js'
import { logFailure, logProblem } from './log.js'
import { pathOf } from './url.js'
import { isErrorStatus } from './status.js'

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
 * A `type` resolved against a normalized `typeBase` (RFC 3986 §5), uncached:
 * an absolute type stays as it is; a path-only base gives a path-only type.
 */
export function resolveTypeAgainst (type: string, base: string): string {
  if (type === ABOUT_BLANK || hasScheme.test(type)) return type
  if (base.startsWith('/')) {
    // A path-only base: resolve on a placeholder origin and keep the path.
    const url = new URL(type, 'http://base.invalid' + base)
    return url.pathname + url.search + url.hash
  }
  return new URL(type, base).href
}

/**
 * A relative `type` resolved against the app's `typeBase` (RFC 3986 §5), cached:
 * the set of types an app answers with is small.
 */
export function resolveType (type: string, settings: Settings): string {
  const base = settings.typeBase
  if (type === ABOUT_BLANK || base === undefined) return type
  let resolved = settings.typeCache.get(type)
  if (resolved === undefined) {
    try {
      resolved = resolveTypeAgainst(type, base)
    } catch {
      // Not a URI reference at all (`//[`): sent as given, rather than turning
      // the whole problem (a 409, say) into the last-resort 500.
      resolved = type
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
    logFailure(request, 'warn', err, 'fastify-problem-details: the instance option threw; instance left out')
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
  let current = reply.getHeader('vary')
  if (current === undefined) {
    reply.header('vary', field)
    return
  }
  if (Array.isArray(current)) current = current.join(', ')
  if (typeof current === 'string' && !varyLists(current, field)) reply.header('vary', current + ', ' + field)
}

/**
 * True when a `Vary` value already covers `field`: `*`, or the field name as one
 * of its comma-separated members (RFC 9110 §12.5.5), compared without case. A
 * substring test is not enough: `Accept-Encoding` does not cover `Accept`.
 */
function varyLists (vary: string, field: string): boolean {
  let start = 0
  while (start <= vary.length) {
    let end = vary.indexOf(',', start)
    if (end === -1) end = vary.length
    const member = vary.slice(start, end).trim()
    if (member === '*' || (member.length === field.length && member.toLowerCase() === field.toLowerCase())) return true
    start = end + 1
  }
  return false
}

/**
 * `code` for compat mode: the problem's own `code` extension member (which
 * compat mode would otherwise drop as a Fastify member), else the thrown
 * error's `code`, only for problems a client may see the code of.
 */
function codeOf (problem: Problem, error: unknown): string | undefined {
  try {
    const own = problem.extensions?.code
    if (typeof own === 'string') return own
    if (typeof own === 'number' && Number.isFinite(own)) return String(own)
    if (problem.status >= 500 || error === null || typeof error !== 'object') return undefined
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
  let body: string
  let format
  try {
    // Read inside the try: a mapper may hand back a Proxy or a getter-laden
    // object, and an unreadable or non-error status must not escape as a crash
    // or be sent as a success.
    const status = problem.status
    if (!isErrorStatus(status)) throw new RangeError('fastify-problem-details: a problem status must be an integer 400–599')
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
      code: settings.compat === 'fastify' ? codeOf(problem, error) : undefined,
      compat: settings.compat === 'fastify'
    }
    // RFC 9457 §3.1.3: the title (and a detail with a template) in the client's language.
    const language = settings.localizer === undefined ? undefined : settings.localizer.localize(rendering, problem.type, request.headers['accept-language'])
    body = format === PROBLEM_XML ? serializeXml(rendering) : serializeJson(rendering)
    if (language !== undefined) {
      // The log line keeps the untranslated text.
      rendering.title = problem.title
      rendering.detail = problem.detail
    }
    reply.code(status)
    if (problem.headers !== undefined) setProblemHeaders(reply, problem.headers)
    // RFC 9111 §5.2.2.5: an error about this moment must not be replayed from a cache.
    if (status >= 500) reply.header('cache-control', 'no-store')
    addVary(reply, 'Accept')
    if (language !== undefined) {
      // Whenever this problem has translations, even when none was chosen (RFC 9110 §12.5.5).
      addVary(reply, 'Accept-Language')
      reply.header('content-language', language)
    }
    reply.header('content-type', CONTENT_TYPES[format])
    logProblem(request, rendering, error, settings, problem.failure)
  } catch (err) {
    logFailure(request, 'error', err, 'fastify-problem-details: could not build the problem response')
    reply.code(500)
    reply.header('content-type', CONTENT_TYPES[0])
    // The last resort is untranslated English, whatever was negotiated.
    reply.removeHeader('content-language')
    body = LAST_RESORT
  }
  // The body is serialized already: a serializer set with `reply.serializer()`
  // would run on this string too (Fastify applies it to strings), and one that
  // throws would hand the error to Fastify's default handler, message and all.
  reply.serializer(null as unknown as (payload: unknown) => string)
  return reply.send(body)
}
