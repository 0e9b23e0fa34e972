import type { FastifyReply } from 'fastify'
import type { Problem } from '../model/problem.js'
import { LAST_RESORT_BODY, LAST_RESORT_TYPE, renderProblem, type Rendered } from '../response/render.js'
import { logFailure, logProblem } from '../response/log.js'
import type { Settings } from './options.js'

/**
 * Sends a problem: render (the pure decision), write it on the reply, log
 * one line. `error` is what was thrown, if anything.
 */
export function sendProblem (reply: FastifyReply, problem: Problem, settings: Settings, error?: unknown): FastifyReply {
  const request = reply.request
  let rendered: Rendered
  try {
    rendered = renderProblem(problem, request, settings, error)
  } catch (err) {
    logFailure(request, 'error', err, 'fastify-problem-details: could not build the problem response')
    return sendLastResort(reply)
  }
  writeHeaders(reply, rendered)
  logProblem(request, rendered.rendering, error, settings.logLevels, problem.failure)
  return sendBody(reply, rendered.body)
}

/** Status and headers of a rendered problem on the reply. */
function writeHeaders (reply: FastifyReply, rendered: Rendered): void {
  const status = rendered.status
  reply.code(status)
  const headers = rendered.headers
  if (headers !== undefined) {
    for (let i = 0; i < headers.length; i++) reply.header(headers[i][0], headers[i][1])
  }
  // RFC 9111 §5.2.2.5: an error about this moment must not be replayed from a cache.
  if (status >= 500) reply.header('cache-control', 'no-store')
  addVary(reply, 'Accept')
  if (rendered.language !== undefined) {
    // Whenever this problem has translations, even when none was chosen (RFC 9110 §12.5.5).
    addVary(reply, 'Accept-Language')
    reply.header('content-language', rendered.language)
  }
  reply.header('content-type', rendered.contentType)
}

/** The generic 500 when rendering failed: English JSON, never cached, still varying by `Accept`. */
function sendLastResort (reply: FastifyReply): FastifyReply {
  reply.code(500)
  reply.header('content-type', LAST_RESORT_TYPE)
  reply.header('cache-control', 'no-store')
  addVary(reply, 'Accept')
  reply.removeHeader('content-language')
  return sendBody(reply, LAST_RESORT_BODY)
}

function sendBody (reply: FastifyReply, body: string): FastifyReply {
  // The body is serialized already: a serializer set with `reply.serializer()`
  // would run on this string too (Fastify applies it to strings), and one that
  // throws would hand the error to Fastify's default handler, message and all.
  reply.serializer(null as unknown as (payload: unknown) => string)
  return reply.send(body)
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
