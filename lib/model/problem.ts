import { isErrorStatus, reasonPhrase } from './status.js'
import { RESERVED_MEMBERS } from './members.js'
import { ABOUT_BLANK } from './type-uri.js'

export { ABOUT_BLANK }

/** Extension members (RFC 9457 §3.2): any JSON-serializable members beside the standard five. */
export type Extensions = Record<string, unknown>

/**
 * The names that are never emitted as extension members: the standard members
 * (RFC 9457 §3.1) and the options that steer a response. Typed as absent, so
 * a 0.1 call that still passes an option among the members (`{ retryAfter: 5 }`)
 * fails to compile instead of losing its header.
 */
export type ReservedMemberName = 'type' | 'title' | 'status' | 'detail' | 'instance' | 'headers' | 'retryAfter' | 'cause'

/**
 * Extension members as given to a constructor, factory or reply helper: only
 * ever emitted as members, never read as options. The standard members and
 * option names are dropped (and rejected by the type).
 */
export type ExtensionsInit = Extensions & { [K in ReservedMemberName]?: never }

/** Response headers a problem asks for (`Retry-After`, `WWW-Authenticate`, `Allow`, …). */
export type ProblemHeaders = Record<string, string | number>

/** Seconds from now, or the moment to retry at; becomes `Retry-After` (RFC 9110 §10.2.3). */
export type RetryAfter = number | Date

/**
 * The options that steer a response, kept apart from the extension members:
 * the third argument of status classes and reply helpers, and part of a
 * problem init.
 */
export interface ProblemOptions {
  /** A URI reference that identifies the problem type (RFC 9457 §3.1.1); relative ones resolve against `typeBase`. */
  type?: string
  /** A short summary of the problem type (RFC 9457 §3.1.3). Defaults to the status phrase. */
  title?: string
  /** A URI reference for this occurrence (RFC 9457 §3.1.5). Defaults to the request path. */
  instance?: string
  /** Response headers sent with the problem. */
  headers?: ProblemHeaders
  /** Sets `Retry-After`: seconds, or a `Date`. */
  retryAfter?: RetryAfter
  /** The underlying error; logged, never sent. */
  cause?: unknown
}

/**
 * What `new ProblemError(...)`, `reply.problem(...)` and registry mappers take:
 * the status, the detail and the options, with the extension members under
 * `extensions` only. Other keys are neither members nor options.
 */
export interface ProblemInit<E extends Extensions = Extensions> extends ProblemOptions {
  /** The HTTP status code, 400–599. Anything else becomes 500. */
  status: number
  /** An explanation specific to this occurrence (RFC 9457 §3.1.4). */
  detail?: string
  /** The extension members (RFC 9457 §3.2): only ever emitted as members. */
  extensions?: E & ExtensionsInit
}

/** The problem details object as it is serialized (RFC 9457 §3). */
export interface ProblemDocument {
  type: string
  title: string
  status: number
  detail?: string
  instance?: string
  [extension: string]: unknown
}

/**
 * The shape the response path works on. A `ProblemError` is one, so a thrown
 * problem is sent without being copied.
 */
export interface Problem {
  readonly status: number
  readonly type: string
  readonly title: string
  readonly detail: string | undefined
  readonly instance: string | undefined
  readonly extensions: Extensions | undefined
  readonly headers: ProblemHeaders | undefined
  /**
   * Why the generic 500 answers instead of a mapping: what a failing mapper
   * threw. Logged on the problem's one log line, never sent.
   */
  readonly failure?: unknown
  /**
   * The problem's detail and extension members in another language, given by
   * a mapping that translated them (the ajv-i18n recipe, docs/localization.md).
   * Sent only together with a title in the same language, else not at all.
   */
  readonly translation?: ProblemTranslation
}

/** A problem's detail and extension members in one language (docs/localization.md). */
export interface ProblemTranslation {
  /** the language tag they are written in */
  readonly language: string
  readonly detail: string | undefined
  readonly extensions: Extensions
}

const hasOwn = Object.prototype.hasOwnProperty

/**
 * The largest delta-seconds `Retry-After` sent: one year. RFC 9110 §10.2.3
 * sets no bound, but a larger value is no plan to retry, and 1e21 seconds is
 * written `1e+21`, which is not delta-seconds at all.
 */
export const RETRY_AFTER_MAX_SECONDS = 365 * 24 * 60 * 60
// IMF-fixdate years (RFC 9110 §5.6.7: four digits); the epoch as the earliest.
const MIN_DATE = Date.UTC(1970, 0, 1)
const MAX_DATE = Date.UTC(10000, 0, 1) - 1000
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/
const DELTA_SECONDS = /^\d+$/

/**
 * The `Retry-After` value for seconds or a date (RFC 9110 §10.2.3), always
 * valid HTTP; `undefined` for anything else. Seconds: a non-negative finite
 * number, rounded up and capped at one year. A date: an IMF-fixdate in the
 * years 1970–9999 (a `Date` outside them, or invalid, is left out).
 */
export function retryAfterValue (value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined
    return String(Math.min(Math.ceil(value), RETRY_AFTER_MAX_SECONDS))
  }
  if (value instanceof Date) {
    let time: number
    try {
      time = value.getTime()
    } catch {
      return undefined
    }
    return time >= MIN_DATE && time <= MAX_DATE ? new Date(time).toUTCString() : undefined
  }
  return undefined
}

/**
 * A `Retry-After` header value as given (a problem's `headers`, an
 * http-errors or Boom error's headers), made valid or left out: digits are
 * delta-seconds (capped as above), an IMF-fixdate is re-written from the date
 * it names (the weekday corrected) when in range; anything else (`-5`, `NaN`,
 * `1e+21`, the obsolete date formats) is dropped.
 */
export function retryAfterField (value: unknown): string | undefined {
  if (typeof value === 'number') return retryAfterValue(value)
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  if (DELTA_SECONDS.test(trimmed)) {
    return trimmed.length > 9 ? String(RETRY_AFTER_MAX_SECONDS) : String(Math.min(Number(trimmed), RETRY_AFTER_MAX_SECONDS))
  }
  if (!IMF_FIXDATE.test(trimmed)) return undefined
  const time = Date.parse(trimmed)
  return Number.isNaN(time) ? undefined : retryAfterValue(new Date(time))
}

/** A problem while it is built (`readInit`, defined types' constructors). */
export interface MutableProblem {
  status: number
  type: string
  title: string
  detail: string | undefined
  instance: string | undefined
  extensions: Extensions | undefined
  headers: ProblemHeaders | undefined
}

/**
 * The response headers of a problem: `headers` copied (so the caller's object
 * is not kept), with `Retry-After` from `retryAfter`.
 */
export function headersOf (given: unknown, retryAfter: unknown): ProblemHeaders | undefined {
  let headers: ProblemHeaders | undefined
  if (given !== null && typeof given === 'object') {
    headers = {}
    for (const name of Object.keys(given)) headers[name] = (given as ProblemHeaders)[name]
  }
  const value = retryAfterValue(retryAfter)
  if (value !== undefined) {
    if (headers === undefined) headers = {}
    headers['retry-after'] = value
  }
  return headers
}

/**
 * The extension members of an object given as members: its own enumerable
 * keys, copied, without the reserved names (the standard members, the option
 * names and prototype-polluting names). Nothing in it is read as an option.
 * A hostile object (a Proxy whose keys throw, a throwing getter) loses what
 * cannot be read, as the serializer leaves it out; it never throws.
 */
export function membersOf (given: unknown): Extensions | undefined {
  if (given === null || typeof given !== 'object') return undefined
  let keys: string[]
  try {
    keys = Object.keys(given)
  } catch {
    return undefined
  }
  let extensions: Extensions | undefined
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    if (RESERVED_MEMBERS.has(key)) continue
    try {
      (extensions ??= {})[key] = (given as Extensions)[key]
    } catch {
      // A throwing getter: left out.
    }
  }
  return extensions
}

/**
 * Reads a problem init into `target`: the one place that turns user input into
 * the standard members. The status is coerced to 500 when it is not an error
 * status, so a problem can never say one status and send another. Members come
 * from `init.extensions` only.
 */
export function readInit (target: MutableProblem, init: ProblemInit): void {
  const status = isErrorStatus(init.status) ? init.status : 500
  target.status = status
  target.type = typeof init.type === 'string' && init.type !== '' ? init.type : ABOUT_BLANK
  target.title = typeof init.title === 'string' ? init.title : reasonPhrase(status)
  target.detail = typeof init.detail === 'string' ? init.detail : undefined
  target.instance = typeof init.instance === 'string' ? init.instance : undefined
  target.headers = headersOf(init.headers, init.retryAfter)
  target.extensions = membersOf(init.extensions)
}

/**
 * A plain status problem (RFC 9457 §4.2.1: `about:blank`, the status phrase as
 * title): the one shape of every built-in answer and reply helper.
 */
export function plainProblem (status: number, detail?: string, extensions?: Extensions, headers?: ProblemHeaders): Problem {
  return { status, type: ABOUT_BLANK, title: reasonPhrase(status), detail, instance: undefined, extensions, headers }
}

/** The generic answer to anything unexpected: nothing of the original (RFC 9457 §5). */
export const GENERIC_500: Problem = Object.freeze(plainProblem(500))

/** A plain problem from an init, without constructing an `Error`. */
export function problemFromInit (init: ProblemInit): Problem {
  const problem = {} as MutableProblem
  readInit(problem, init)
  return problem
}

/**
 * The init of a status class or reply helper given options: the status and
 * detail that the class or helper fixes, the members as given, and only the
 * named options read from `options` (a fixed shape: no spread of the caller's
 * object, which measured several times slower on Node 20, docs/benchmarks.md).
 */
export function statusInit (status: number, detail: unknown, extensions: unknown, options: ProblemOptions | undefined): ProblemInit {
  if (options === undefined || options === null || typeof options !== 'object') {
    return { status, detail: detail as string | undefined, extensions: extensions as Extensions }
  }
  return {
    status,
    detail: detail as string | undefined,
    extensions: extensions as Extensions,
    type: options.type,
    title: options.title,
    instance: options.instance,
    headers: options.headers,
    retryAfter: options.retryAfter,
    cause: options.cause
  }
}

/**
 * A problem made once, at startup, and shared by every response that answers
 * with it (the presets' and built-ins' fixed answers): frozen, so no response
 * can change it for the next.
 */
export function fixedProblem (init: ProblemInit): Problem {
  return Object.freeze(problemFromInit(init))
}

/**
 * An error that is a problem. Throw it from a route or a hook, or send it with
 * `reply.problem(error)`.
 *
 * Expected problems (4xx) do not capture a stack trace: they are answers, not
 * bugs, and stack capture is the largest cost of `new Error()`. 5xx problems keep
 * theirs for the log.
 */
export class ProblemError<E extends Extensions = Extensions> extends Error implements Problem {
  declare readonly status: number
  declare readonly type: string
  declare readonly title: string
  declare readonly detail: string | undefined
  declare readonly instance: string | undefined
  declare readonly headers: ProblemHeaders | undefined
  /** The extension members; `{}` when there are none. */
  declare readonly extensions: E

  constructor (init: ProblemInit<E>) {
    const limit = Error.stackTraceLimit
    // Read once: the init may be a getter-laden object, and the branch below must
    // agree with the status readInit settles on.
    const expected = isErrorStatus(init.status) && init.status < 500
    if (expected) Error.stackTraceLimit = 0
    super(typeof init.detail === 'string' ? init.detail : typeof init.title === 'string' ? init.title : reasonPhrase(isErrorStatus(init.status) ? init.status : 500),
      init.cause !== undefined ? { cause: init.cause } : undefined)
    if (expected) Error.stackTraceLimit = limit
    readInit(this as unknown as MutableProblem, init)
    if (this.extensions === undefined) (this as { extensions: Extensions }).extensions = {}
  }

  /** Fastify's and http-errors' name for the status, so other handlers honour it too. */
  get statusCode (): number {
    return this.status
  }

  /** The problem details object (RFC 9457 §3); a relative `type` stays relative here. */
  toJSON (): ProblemDocument {
    const doc: ProblemDocument = { type: this.type, title: this.title, status: this.status }
    if (this.detail !== undefined) doc.detail = this.detail
    if (this.instance !== undefined) doc.instance = this.instance
    const extensions = this.extensions
    for (const key in extensions) {
      if (hasOwn.call(extensions, key) && !RESERVED_MEMBERS.has(key)) doc[key] = extensions[key]
    }
    return doc
  }
}

Object.defineProperty(ProblemError.prototype, 'name', { value: 'ProblemError', writable: true, configurable: true })
