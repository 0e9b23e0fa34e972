import type { FastifyRequest } from 'fastify'
import { ProblemError, plainProblem as plain, retryAfterValue, type Problem, type ProblemHeaders, type ProblemTranslation } from '../model/problem.js'
import { sealedLayer, type InternalMapper, type MappingSettings, type Matcher, type ProblemRegistry } from './registry.js'
import { isErrorStatus, reasonPhrase } from '../model/status.js'
import { ValidationProblem, validationEntries } from '../model/validation.js'
import { ownStatus, publicMessage, type StatusShaped } from './error-status.js'

/** The mappings of the layer, in order, until it is built (at the end of this module). */
const pending: Array<readonly [Matcher, InternalMapper]> = []

function add (matcher: Matcher, mapper: InternalMapper): void {
  pending.push([matcher, mapper])
}

// Problems are answered as they are.
add(ProblemError, (error: ProblemError) => error)

// A ValidationProblem takes the app's validationStatus (400 or 422).
add(ValidationProblem, (error: ValidationProblem, _request: FastifyRequest, settings: MappingSettings) => {
  const status = settings.validationStatus
  if (error.status === status) return error
  return { status, type: error.type, title: reasonPhrase(status), detail: error.detail, instance: error.instance, extensions: error.extensions, headers: error.headers }
})

// Fastify's schema validation: one errors[] entry per Ajv error (RFC 9457 §3 example).
add('FST_ERR_VALIDATION', (error: { message?: unknown, validation?: unknown, validationContext?: unknown, translation?: unknown }, _request: FastifyRequest, settings: MappingSettings) => {
  const status = settings.validationStatus
  const detail = typeof error.message === 'string' ? error.message : 'The request is not valid'
  const errors = validationEntries(error.validation, error.validationContext)
  const translation = translationOf(error.translation, error.validationContext)
  if (translation === undefined) return plain(status, detail, { errors })
  // A ProblemError passes through the registry as it is, translation and all.
  const problem = new ProblemError({ status, detail, extensions: { errors } })
  Object.defineProperty(problem, 'translation', { value: translation })
  return problem
})

/**
 * A translating mapping's `error.translation = { language, validation, detail? }`
 * (docs/localization.md): the Ajv errors rewritten in `language`, as `errors[]`.
 */
function translationOf (given: unknown, context: unknown): ProblemTranslation | undefined {
  if (given === null || typeof given !== 'object') return undefined
  try {
    const { language, validation, detail } = given as { language?: unknown, validation?: unknown, detail?: unknown }
    if (typeof language !== 'string' || !Array.isArray(validation)) return undefined
    return { language, detail: typeof detail === 'string' ? detail : undefined, extensions: { errors: validationEntries(validation, context) } }
  } catch {
    return undefined
  }
}

/** Fixed details for the body errors: Fastify's messages may quote the client's bytes. */
const MALFORMED_JSON = 'The request body is not valid JSON'
const bodyErrors: Array<[string, number, string | undefined]> = [
  ['FST_ERR_CTP_INVALID_JSON_BODY', 400, MALFORMED_JSON],
  ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, "The request body is empty, but its content type is 'application/json'"],
  ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'The Content-Length header does not match the length of the body'],
  ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'The request body is larger than this endpoint accepts'],
  ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'The media type of the request body is not supported by this endpoint'],
  ['FST_ERR_BAD_URL', 400, 'The request URL is not valid'],
  ['FST_ERR_MAX_PARAM_LENGTH', 414, 'A path parameter is longer than the server accepts'],
  ['FST_ERR_ASYNC_CONSTRAINT', 500, undefined]
]
for (const [code, status, detail] of bodyErrors) {
  const problem = Object.freeze(plain(status, detail))
  add(code, () => problem)
}

// Fastify's JSON parser throws the SyntaxError of JSON.parse with statusCode 400.
const malformed = Object.freeze(plain(400, MALFORMED_JSON))
add(SyntaxError, (error: SyntaxError & { statusCode?: unknown }) => error.statusCode === 400 ? malformed : undefined)

/**
 * The headers of an http-errors or Boom error, without `Set-Cookie`: a
 * library's or upstream's cookie is never forwarded (a problem's own
 * `headers` may set one deliberately). Everything else goes through the one
 * header filter of the response path (lib/response/render.ts).
 */
function upstreamHeaders (headers: unknown): ProblemHeaders | undefined {
  if (headers === null || typeof headers !== 'object') return undefined
  let names: string[]
  try {
    names = Object.keys(headers)
  } catch {
    return undefined
  }
  const out: ProblemHeaders = {}
  for (const name of names) {
    if (name.toLowerCase() === 'set-cookie') continue
    try {
      out[name] = (headers as ProblemHeaders)[name]
    } catch {
      // A throwing getter: left out.
    }
  }
  return out
}

/**
 * Errors that carry their own status: Fastify's errors and plain errors with a
 * `statusCode`, and http-errors / @fastify/sensible `HttpError`s (`status`,
 * `expose`, `headers`). `status` alone is trusted only with http-errors' `expose`
 * flag: an HTTP client's error (axios) carries the upstream's status there.
 * The message is sent only where it is meant for the client: `expose: true`, or
 * a 4xx that does not say `expose: false`.
 */
function fromStatusShaped (error: StatusShaped): Problem | undefined {
  const status = ownStatus(error)
  if (status === undefined) return undefined
  // Headers only from http-errors (its `expose` flag says so): a plain error's
  // `headers` are an HTTP client's upstream response headers (undici's
  // ResponseError), cookies and tokens included, not ours to forward.
  const headers = typeof error.expose === 'boolean' ? error.headers : undefined
  return plain(status, publicMessage(error, status), undefined, upstreamHeaders(headers))
}

add((error: unknown) => error !== null && typeof error === 'object', fromStatusShaped)

/** Boom: `isBoom`, `output.statusCode`, `output.headers`; 4xx payload messages are public. */
add((error: unknown) => (error as { isBoom?: unknown } | null)?.isBoom === true, (error: { output?: { statusCode?: unknown, headers?: unknown, payload?: { message?: unknown } } }) => {
  const output = error.output
  if (output === null || typeof output !== 'object' || !isErrorStatus(output.statusCode)) return undefined
  const status = output.statusCode
  const message = output.payload?.message
  const headers = output.headers
  return plain(status,
    status < 500 && typeof message === 'string' && message !== '' ? message : undefined,
    undefined,
    upstreamHeaders(headers))
})

/**
 * Load shedding (docs/presets.md#rate-limiting-and-load-shedding). Built in,
 * not a preset: the contract's built-in table lists them.
 *
 * @fastify/rate-limit needs no mapping of its own: it sets `Retry-After` and
 * the `x-ratelimit-*` headers on the reply, then throws an `Error` with
 * `statusCode` 429 (403 once a client is banned) whose message it wrote itself,
 * which the status-shaped mapping above answers; headers set on the reply
 * before an error stay on the problem response.
 *
 * @fastify/under-pressure sets status 503 and its `Retry-After` (its
 * `retryAfter` option) on the reply, then fails the request with a
 * `FST_UNDER_PRESSURE` error. The reply's `Retry-After` is kept: the problem
 * sets none, so it does not overwrite the configured one.
 */
const UNDER_PRESSURE = Object.freeze(plain(503, 'The server is under too much load to answer; retry later'))
add('FST_UNDER_PRESSURE', () => UNDER_PRESSURE)

const CIRCUIT_OPEN_DETAIL = 'The service is temporarily unavailable; retry later'

/**
 * A circuit breaker's error (or any error) carrying `retryAfter`, seconds or a
 * `Date`: 503 with `Retry-After` (RFC 9110 §10.2.3), or 429 when the error says
 * 429. An error with another status of its own is left to that status. The
 * breaker's message names the failing dependency, so a 503 has a fixed detail;
 * a 429's message is public as any 4xx message is. Added after the
 * status-shaped mapping, so it is tried first (a later mapping wins within a rank).
 */
function retryLater (error: StatusShaped & { retryAfter?: unknown }): Problem | undefined {
  const retryAfter = retryAfterValue(error.retryAfter)
  if (retryAfter === undefined) return undefined
  const status = ownStatus(error) ?? 503
  if (status !== 503 && status !== 429) return undefined
  const detail = status === 503 ? CIRCUIT_OPEN_DETAIL : publicMessage(error, status)
  return plain(status, detail, undefined, { 'retry-after': retryAfter })
}
add((error: unknown) => error !== null && typeof error === 'object' && (error as { retryAfter?: unknown }).retryAfter !== undefined, retryLater)

/**
 * The built-in mappings (docs/registry.md#built-in-mappings): Fastify's own errors, problems,
 * http-errors and Boom shaped errors. They are the outermost layer of every
 * registry chain, so any user mapping of the same rank overrides them, and a
 * user's catch-all on `Error` ranks below them. Built once and sealed: shared
 * by every app, changed by none, reachable from none (docs/registry.md#one-app-one-state).
 */
export const BUILTINS: ProblemRegistry = sealedLayer(null, (layer) => {
  for (const [matcher, mapper] of pending) layer.add(matcher, mapper)
  pending.length = 0
})
