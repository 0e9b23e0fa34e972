import type { FastifyRequest } from 'fastify'
import { GENERIC_500, retryAfterField, type Extensions, type Problem, type ProblemHeaders, type ProblemTranslation } from '../model/problem.js'
import { ABOUT_BLANK, resolveTypeOrKeep } from '../model/type-uri.js'
import { isErrorStatus, reasonPhrase } from '../model/status.js'
import { ownStatus, type StatusShaped } from '../mapping/error-status.js'
import { CONTENT_TYPES, PROBLEM_XML, negotiate, type Format } from './negotiate.js'
import { BoundedCache, stringBytes } from '../bounded-cache.js'
import { serializeJson, serializePlain, type Rendering } from './serialize.js'
import { serializeXml } from './xml.js'
import { logFailure, type LogLevel } from './log.js'
import { extendMembers, type ExtendSettings } from './extend.js'
import { traceIdOf, type OpenTelemetry } from './trace.js'
import { DEFAULT_LANGUAGE, type Localizer, type Translated } from './locale.js'
import { pathOf, uriReference } from './url.js'

/** What the response layer needs of an app's options (precomputed at registration). */
export interface ResponseSettings extends ExtendSettings {
  readonly typeBase: string | undefined
  readonly requestIdMember: string | false
  readonly instance: 'path' | false | ((request: FastifyRequest) => string | undefined)
  /** `locales` compiled for the response path; `undefined` when there are none. */
  readonly localizer: Localizer | undefined
  readonly compat: false | 'fastify'
  /** Log level by `status - 400`. */
  readonly logLevels: readonly LogLevel[]
  /** Resolved `type` URIs by the `type` a problem carries (`typeCache()`). */
  readonly typeCache: BoundedCache<string>
  /** Negotiated formats by `Accept` header (`acceptCache()`). */
  readonly acceptCache: BoundedCache<Format>
  /** Name of the trace-id member, or false (then no trace id is looked up). */
  readonly traceIdMember: string | false
  /** `@opentelemetry/api` when the app has it (loaded at registration). */
  readonly otel: OpenTelemetry | undefined
}

/** A problem response, decided: what the write step puts on the reply. */
export interface Rendered {
  readonly status: number
  readonly contentType: string
  readonly body: string
  /** The problem's own headers that are valid to send, lower-case names. */
  readonly headers: ReadonlyArray<readonly [string, string]> | undefined
  /** `Content-Language`, when the problem has translations (and so `Vary: Accept-Language`). */
  readonly language: string | undefined
  /** The problem as the log line reports it: untranslated. */
  readonly rendering: Rendering
}

// RFC 9110 §5.1 token, and §5.5 field values without CR, LF or NUL; non-ASCII
// is refused too, since Node would reject or mangle it.
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const headerValue = /^[\t\x20-\x7e]*$/
/** Headers this plugin owns on a problem response: it sets them itself. */
const OWN_HEADERS = ['content-type', 'content-length', 'content-language', 'vary']
/**
 * Message framing and connection management (RFC 9112 §6, §7, §9; RFC 9110
 * §7.6.1): the server's business, never a problem's. A `Transfer-Encoding` or
 * `Connection` from an error would corrupt the framing of the response.
 */
const FRAMING_HEADERS = ['transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'proxy-connection', 'te', 'trailer', 'http2-settings']
/**
 * Representation metadata (RFC 9110 §8; RFC 9530 digests): each describes a
 * body, and the body sent is the problem, not what an upstream response or the
 * route's success response had. `Content-Encoding: gzip` on a plain body, an
 * `ETag` or `Last-Modified` of the resource on its error, a digest of other
 * bytes: all would mislead clients and caches. Also cleared from the reply
 * (lib/fastify/send.ts): a route may have set them before it failed.
 */
export const REPRESENTATION_HEADERS: ReadonlySet<string> = new Set(['content-encoding', 'content-range', 'content-location', 'content-md5', 'digest', 'content-digest', 'repr-digest', 'etag', 'last-modified'])
/** Every header a problem's own headers can never set. */
const DROPPED_HEADERS = new Set([...OWN_HEADERS, ...FRAMING_HEADERS, ...REPRESENTATION_HEADERS])
// RFC 9110 §14.4: the unsatisfied-range form a 416 SHOULD carry (`bytes */1234`),
// which describes the representation's length and never the problem body.
const UNSATISFIED_RANGE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \*\/\d+$/

/**
 * Resolved types, per app: an app answers with few types, so 1,000 of them and
 * 512 KiB at most, none above 8 KiB (a type of about 2,000 characters); a
 * longer or rarer one is resolved each time (docs/security.md#caches).
 */
export function typeCache (): BoundedCache<string> {
  return new BoundedCache<string>(1000, 512 * 1024, 8 * 1024)
}

/** A relative `type` resolved against the app's `typeBase` (RFC 3986 §5), cached. */
export function resolveType (type: string, settings: ResponseSettings): string {
  const base = settings.typeBase
  if (type === ABOUT_BLANK || base === undefined) return type
  let resolved = settings.typeCache.get(type)
  if (resolved === undefined) {
    resolved = resolveTypeOrKeep(type, base)
    settings.typeCache.set(type, resolved, resolved === type ? 0 : stringBytes(resolved))
  }
  return resolved
}

function instanceFor (request: FastifyRequest, settings: ResponseSettings): string | undefined {
  const option = settings.instance
  if (option === 'path') return pathOf(request.url)
  if (option === false) return undefined
  try {
    const value = option(request)
    return typeof value === 'string' ? uriReference(value) : undefined
  } catch (err) {
    logFailure(request, 'warn', err, 'fastify-problem-details: the instance option threw; instance left out')
    return undefined
  }
}

/**
 * The problem's own headers that can be sent: the one header filter of the
 * response path (docs/security.md#response-headers). A name or value that could
 * inject or break the response is dropped, so is every framing and
 * representation header; `Retry-After` is made valid or dropped.
 */
function validHeaders (headers: ProblemHeaders, status: number): Array<readonly [string, string]> | undefined {
  let names: string[]
  try {
    names = Object.keys(headers)
  } catch {
    return undefined
  }
  let out: Array<readonly [string, string]> | undefined
  for (const name of names) {
    let value: unknown
    try {
      value = headers[name]
    } catch {
      continue
    }
    if (!headerName.test(name)) continue
    const lower = name.toLowerCase()
    if (lower === 'retry-after') {
      value = retryAfterField(value)
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      value = String(value)
    }
    if (typeof value !== 'string' || !headerValue.test(value)) continue
    if (DROPPED_HEADERS.has(lower) && !(lower === 'content-range' && status === 416 && UNSATISFIED_RANGE.test(value))) continue
    (out ??= []).push([lower, value])
  }
  return out
}

/** A member of a problem as it reads now; `undefined` when its getter throws. */
function member (problem: Problem, key: 'type' | 'title' | 'detail' | 'instance' | 'extensions' | 'headers' | 'translation'): unknown {
  try {
    return problem[key]
  } catch {
    return undefined
  }
}

/** `request.id` as the request-id member: a string, a number written as one, else none (a `genReqId` of any shape). */
function requestIdOf (id: unknown): string | undefined {
  if (typeof id === 'string') return id
  if ((typeof id === 'number' && Number.isFinite(id)) || typeof id === 'bigint') return String(id)
  return undefined
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
 * `message` for compat mode: the thrown error's message exactly where Fastify
 * would have sent it for this very status, that is an error that carries
 * this 4xx status itself (`statusCode`, or http-errors' `status` and
 * `expose`), including Fastify's own errors (body too large, an empty or
 * malformed JSON body, 415, validation). An error a mapping turned into
 * another status, a 5xx (RFC 9457 §5) and an http-errors error with
 * `expose: false` fall back to the detail.
 */
function fastifyMessage (problem: Problem, error: unknown): string | undefined {
  try {
    if (problem.status >= 500 || error === null || typeof error !== 'object') return undefined
    const e = error as StatusShaped
    if (typeof e.message !== 'string' || e.expose === false) return undefined
    return ownStatus(e) === problem.status ? e.message : undefined
  } catch {
    return undefined
  }
}

/**
 * Decides a problem response: status, body, media type, headers and language,
 * for this request and this app's settings. Changes nothing on the reply; the
 * one place that decides what a problem response is. `error` is what was
 * thrown, if anything. Throws when the problem cannot be rendered (a status
 * that is not an error status, a getter that throws): the caller then sends
 * the last resort.
 */
export function renderProblem (problem: Problem, request: FastifyRequest, settings: ResponseSettings, error?: unknown): Rendered {
  // Read once: a mapper may hand back a Proxy or a getter-laden object, and an
  // unreadable or non-error status must not be sent as a success.
  const status = problem.status
  if (!isErrorStatus(status)) throw new RangeError('fastify-problem-details: a problem status must be an integer 400–599')
  const format = negotiate(request.headers.accept, settings.acceptCache)
  const compat = settings.compat === 'fastify'
  // Every member from a value of its type, or left out (or defaulted as a
  // problem's constructor defaults it): a problem may have been changed after
  // construction, or be a mapper's hand-made object with getters.
  const type = member(problem, 'type')
  const title = member(problem, 'title')
  const detail = member(problem, 'detail')
  const instance = member(problem, 'instance')
  const extensions = member(problem, 'extensions')
  const rendering: Rendering = {
    status,
    type: typeof type === 'string' && type !== '' ? resolveType(type, settings) : ABOUT_BLANK,
    title: typeof title === 'string' ? title : reasonPhrase(status),
    detail: typeof detail === 'string' ? detail : undefined,
    // RFC 9457 §3.1.5: a URI reference; the application's own value made one.
    instance: typeof instance === 'string' ? uriReference(instance) : instanceFor(request, settings),
    extensions: extensions !== null && typeof extensions === 'object' ? extensions as Extensions : undefined,
    requestIdMember: settings.requestIdMember,
    requestId: requestIdOf(request.id),
    traceIdMember: settings.traceIdMember,
    traceId: settings.traceIdMember === false ? undefined : traceIdOf(settings.otel, request.headers.traceparent),
    added: undefined,
    code: compat ? codeOf(problem, error) : undefined,
    message: compat ? fastifyMessage(problem, error) : undefined,
    compat
  }
  const extend = settings.extend
  if (extend !== undefined) rendering.added = extendMembers(extend, request, rendering, settings)
  // RFC 9457 §3.1.3: the title (and a detail with a template) in the client's language.
  const definedType = typeof type === 'string' && type !== '' ? type : ABOUT_BLANK
  const localizer = settings.localizer
  let translated: Translated | undefined
  let sent = rendering
  const translation = member(problem, 'translation') as ProblemTranslation | undefined
  if (translation !== undefined) {
    // A mapping translated the detail and members (the ajv-i18n recipe): they
    // are sent only with a title in the same language, and a detail in it when
    // the problem has one; else every part stays untranslated (never a mix
    // under one Content-Language).
    const inLanguage = localizer?.localizeIn(rendering, definedType, translation.language)
    const detail = translation.detail ?? inLanguage?.detail
    if (inLanguage !== undefined && (detail !== undefined || rendering.detail === undefined)) {
      translated = inLanguage
      sent = Object.assign({}, rendering)
      sent.title = inLanguage.title
      sent.detail = detail
      sent.extensions = translation.extensions
    } else {
      translated = { language: DEFAULT_LANGUAGE, title: rendering.title, detail: rendering.detail }
    }
  } else {
    translated = localizer?.localize(rendering, definedType, request.headers['accept-language'])
    if (translated !== undefined && (translated.title !== rendering.title || translated.detail !== rendering.detail)) {
      sent = Object.assign({}, rendering)
      sent.title = translated.title
      sent.detail = translated.detail
    }
  }
  const headers = member(problem, 'headers')
  return {
    status,
    contentType: CONTENT_TYPES[format],
    body: format === PROBLEM_XML ? serializeXml(sent) : serializeJson(sent),
    headers: headers !== null && typeof headers === 'object' ? validHeaders(headers as ProblemHeaders, status) : undefined,
    language: translated?.language,
    rendering
  }
}

/** The body sent when building the problem itself failed: the generic 500, with no moving parts. */
export const LAST_RESORT_BODY: string = serializePlain(GENERIC_500.status, undefined, false)

/** The media type of the last resort: JSON, whatever was negotiated. */
export const LAST_RESORT_TYPE: string = CONTENT_TYPES[0]
