import type { FastifyReply, FastifyRequest } from 'fastify'
import { GENERIC_500, type Problem } from '../model/problem.js'
import { LAST_RESORT_BODY, LAST_RESORT_TYPE, REPRESENTATION_HEADERS, renderProblem, type Rendered } from '../response/render.js'
import { logFailure, logFailureOnce, logProblem } from '../response/log.js'
import { documentOf } from '../response/serialize.js'
import { activeSpan, type OpenTelemetry, type SpanLike } from '../response/trace.js'
import { recordOnSpan, type SpanProblem } from '../response/telemetry.js'
import type { Settings } from './options.js'
import { contractKey, contractViolation } from './contract.js'

/**
 * Sends a problem: render (the pure decision), write it on the reply, log
 * one line, tell the request's span, send, then tell `onProblem`. `error` is
 * what was thrown, if anything.
 */
export function sendProblem (reply: FastifyReply, problem: Problem, settings: Settings, error?: unknown): FastifyReply {
  const request = reply.request
  let rendered: Rendered
  try {
    rendered = renderProblem(problem, request, settings, error)
  } catch (err) {
    logFailure(request, 'error', err, 'fastify-problem-details: could not build the problem response')
    if (settings.otel !== undefined) recordProblem(settings.otel, request, GENERIC_500, error)
    sendLastResort(reply)
    if (settings.onProblem !== undefined) observe(settings, { type: GENERIC_500.type, title: GENERIC_500.title, status: GENERIC_500.status }, request, error)
    return reply
  }
  if (settings.contractCheck !== false) {
    const why = contractViolation(request, rendered.rendering, settings)
    if (why !== undefined) {
      if (settings.contractCheck === 'throw') {
        // Loud, for test suites: the answer becomes the generic 500 and the log says why.
        logFailure(request, 'error', new Error(why), 'fastify-problem-details: contractCheck: ' + why)
        rendered = renderProblem(GENERIC_500, request, settings, error)
      } else if (settings.notices.first(contractKey(request, rendered.rendering))) {
        request.log.warn('fastify-problem-details: contractCheck: ' + why)
      }
    }
  }
  writeHeaders(reply, rendered)
  logProblem(request, rendered.rendering, error, settings.logLevels, problem.failure)
  if (settings.conformance !== undefined) settings.conformance.check(request, rendered.rendering)
  // Before the body: the span of an instrumentation ends when the response does.
  if (settings.otel !== undefined) recordProblem(settings.otel, request, rendered.rendering, error)
  sendBody(reply, rendered.body)
  if (settings.onProblem !== undefined) observe(settings, documentOf(rendered.rendering), request, error)
  return reply
}

/**
 * The span of this request: @fastify/otel's request span when it is there
 * (in a handler the active span is the handler's own child span), else the
 * active span (@opentelemetry/instrumentation-http's server span).
 */
function requestSpan (otel: OpenTelemetry, request: FastifyRequest): SpanLike | undefined {
  const decorated = (request as { opentelemetry?: unknown }).opentelemetry
  if (typeof decorated === 'function') {
    try {
      const span = (decorated.call(request) as { span?: SpanLike | null }).span
      if (span !== null && span !== undefined) return span
    } catch {
      // Not @fastify/otel's decorator after all: the active span.
    }
  }
  return activeSpan(otel)
}

function recordProblem (otel: OpenTelemetry, request: FastifyRequest, problem: SpanProblem, error: unknown): void {
  const span = requestSpan(otel, request)
  if (span !== undefined) recordOnSpan(otel, span, problem, error)
}

/**
 * Calls `onProblem` after the response is decided and handed to Fastify: what
 * it throws, and what its promise rejects with, is logged once per cause and
 * changes nothing; its promise is not awaited.
 */
function observe (settings: Settings, doc: Record<string, unknown>, request: FastifyRequest, error: unknown): void {
  try {
    const result = (settings.onProblem as NonNullable<Settings['onProblem']>)(doc, request, error)
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, (err: unknown) => {
        logFailureOnce(request, settings.notices, 'onProblem', 'error', err, 'fastify-problem-details: the onProblem option rejected')
      })
    }
  } catch (err) {
    logFailureOnce(request, settings.notices, 'onProblem', 'error', err, 'fastify-problem-details: the onProblem option threw')
  }
}

/** Status and headers of a rendered problem on the reply. */
function writeHeaders (reply: FastifyReply, rendered: Rendered): void {
  const status = rendered.status
  reply.code(status)
  // One snapshot of what the reply has so far (what a route, CORS or
  // compression set): cheaper than asking for each header by name.
  const current = reply.getHeaders()
  clearRepresentation(reply, current)
  const headers = rendered.headers
  if (headers !== undefined) {
    for (let i = 0; i < headers.length; i++) reply.header(headers[i][0], headers[i][1])
  }
  // RFC 9111 §5.2.2.5: an error about this moment must not be replayed from a cache.
  if (status >= 500) reply.header('cache-control', 'no-store')
  // A problem's own headers cannot set Vary (render.ts): the reply's is the one to extend.
  let vary = withVary(current.vary, 'Accept')
  if (rendered.language !== undefined) {
    // Whenever this problem has translations, even when none was chosen (RFC 9110 §12.5.5).
    vary = withVary(vary, 'Accept-Language')
    reply.header('content-language', rendered.language)
  }
  if (vary !== current.vary) reply.header('vary', vary)
  reply.header('content-type', rendered.contentType)
}

/**
 * Removes what the route may have set for the body it meant to send
 * (`Content-Encoding`, `ETag`, …, lib/response/render.ts): the body is now
 * the problem. Compression plugins set theirs later, in `onSend`.
 */
function clearRepresentation (reply: FastifyReply, current: Record<string, unknown>): void {
  // reply.getHeaders() names are lower case, as the set's are.
  for (const name in current) {
    if (REPRESENTATION_HEADERS.has(name)) reply.removeHeader(name)
  }
}

/** The generic 500 when rendering failed: English JSON, never cached, still varying by `Accept`. */
export function sendLastResort (reply: FastifyReply): void {
  reply.code(500)
  const current = reply.getHeaders()
  clearRepresentation(reply, current)
  reply.header('content-type', LAST_RESORT_TYPE)
  reply.header('cache-control', 'no-store')
  const vary = withVary(current.vary, 'Accept')
  if (vary !== current.vary) reply.header('vary', vary)
  reply.removeHeader('content-language')
  sendBody(reply, LAST_RESORT_BODY)
}

/** The body as it is: it is serialized already. */
function asIs (body: string): string {
  return body
}

function sendBody (reply: FastifyReply, body: string): void {
  // The body is serialized already: a serializer set with `reply.serializer()`
  // would run on this string too (Fastify applies it to strings), and one that
  // throws would hand the error to Fastify's default handler, message and all.
  // A serializer of our own rather than none: without one, Fastify appends
  // `; charset=utf-8` to a JSON media type, and RFC 9457 §6.1 registers
  // `application/problem+json` with no parameters.
  reply.serializer(asIs)
  reply.send(body)
}

/**
 * `Vary` with `field` added, rather than replacing what CORS or compression
 * put there: the value as it was when it already lists `field`.
 */
function withVary (current: unknown, field: string): unknown {
  if (current === undefined) return field
  if (Array.isArray(current)) current = current.join(', ')
  if (typeof current === 'string' && !varyLists(current, field)) return current + ', ' + field
  return current
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
