import { ProblemError, type Extensions, type ProblemInit } from '../model/problem.js'
import { RESERVED_MEMBERS } from '../model/members.js'
import { STATUS_CLASSES } from '../model/classes.js'
import { findProblemType, type ProblemTypeEntry } from '../model/catalogue.js'
import { isErrorStatus } from '../model/status.js'

/**
 * The client side: recognise and read problem responses of any RFC 9457 API,
 * giving back a `ProblemError` of the class this process defined for the type,
 * so `catch (e) { if (e instanceof OutOfCredit) … }` works across a service call.
 */

/**
 * A JSON object that is a problem details object. RFC 9457 §3.1: a member of
 * the wrong type is ignored, so the standard members are not promised a type
 * here: check them, or read the problem with `parseProblem`.
 */
export interface ProblemDetailsLike {
  readonly type?: unknown
  readonly title?: unknown
  readonly status?: unknown
  readonly detail?: unknown
  readonly instance?: unknown
  readonly [member: string]: unknown
}

/**
 * True for a JSON object (not an array) with at least one standard member of
 * the type RFC 9457 §3.1 gives it: `type`, `title`, `detail`, `instance`
 * strings, or an integer `status`. Members of the wrong type do not make it
 * false (they are ignored, §3.1), but an object with no usable standard member
 * (`{ "error": "…" }`) is not a problem.
 */
export function isProblemDetails (value: unknown): value is ProblemDetailsLike {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const doc = value as Record<string, unknown>
  try {
    return typeof doc.type === 'string' || typeof doc.title === 'string' || typeof doc.detail === 'string' ||
      typeof doc.instance === 'string' || Number.isInteger(doc.status)
  } catch {
    return false
  }
}

/** A fetch `Response` (global fetch, undici's `fetch`). */
export interface FetchResponseLike {
  readonly status: number
  readonly headers: { get (name: string): string | null }
  readonly bodyUsed?: boolean
  text (): Promise<string>
}

/** The result of undici's `request()`. */
export interface UndiciResponseLike {
  readonly statusCode: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: { text (): Promise<string> }
}

/** The result of Fastify's `inject()` (light-my-request). */
export interface InjectResponseLike {
  readonly statusCode: number
  readonly headers: Record<string, string | string[] | number | undefined>
  readonly body: string
}

export type ProblemHttpResponse = FetchResponseLike | UndiciResponseLike | InjectResponseLike

export interface ParseProblemOptions {
  /**
   * The `typeBase` of the API that answered, to recognise relative types
   * defined with `defineProblem()`. Without it, a relative definition is
   * recognised against the path of the response's `type` up to its last `/`.
   */
  typeBase?: string
}

interface ReadResponse {
  status: number
  contentType: string | undefined
  retryAfter: string | undefined
  body: string | undefined
}

function headerOf (headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name]
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}

async function read (response: ProblemHttpResponse): Promise<ReadResponse> {
  if (typeof (response as { statusCode?: unknown }).statusCode === 'number') {
    const r = response as UndiciResponseLike | InjectResponseLike
    const headers = r.headers as Record<string, unknown>
    const body = typeof r.body === 'string'
      ? r.body
      : r.body !== null && typeof r.body === 'object' && typeof r.body.text === 'function' ? await r.body.text() : undefined
    return { status: r.statusCode, contentType: headerOf(headers, 'content-type'), retryAfter: headerOf(headers, 'retry-after'), body }
  }
  const r = response as FetchResponseLike
  if (typeof r.status !== 'number' || r.headers === null || typeof r.headers?.get !== 'function') {
    throw new TypeError('parseProblem() takes a fetch Response, an undici request() result or an inject() result')
  }
  return {
    status: r.status,
    contentType: r.headers.get('content-type') ?? undefined,
    retryAfter: r.headers.get('retry-after') ?? undefined,
    body: r.bodyUsed === true ? undefined : await r.text()
  }
}

/** JSON media types: `application/json` and every `+json` type (RFC 6839 §3.1); no content type is tried too. */
function isJson (contentType: string | undefined): boolean {
  if (contentType === undefined) return true
  const semicolon = contentType.indexOf(';')
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  return mediaType === 'application/json' || mediaType.endsWith('+json')
}

const DELAY_SECONDS = /^\d+$/

/** `Retry-After` as seconds or a date (RFC 9110 §10.2.3). */
function retryAfterOf (value: string | undefined): number | Date | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (DELAY_SECONDS.test(trimmed)) return Number(trimmed)
  const date = new Date(trimmed)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** The defined type a response's `type` stands for, if this process defined it. */
function definitionOf (type: string, typeBase: string | undefined): ProblemTypeEntry | undefined {
  try {
    const found = findProblemType(type, typeBase)
    if (found !== undefined || typeBase !== undefined) return found
    const slash = type.lastIndexOf('/')
    return slash <= 0 ? undefined : findProblemType(type, type.slice(0, slash + 1))
  } catch {
    // A type that is no base for resolution (`urn:…`, a malformed URI): not ours.
    return undefined
  }
}

/**
 * Reads a problem response into a `ProblemError`: of the class defined with
 * `defineProblem()` for its type (recognised as defined, or relative to
 * `options.typeBase`), of the status class (`NotFound`, …) for `about:blank`,
 * or a plain `ProblemError` for other types. The HTTP status is the problem's
 * status (RFC 9457 §3.1.2: the member is advisory); members of the wrong type
 * are ignored (§3.1). An error response whose body is not a JSON problem
 * (an HTML page from a proxy, an XML problem) gives the status's problem.
 * A success response that is not a problem gives `undefined`.
 */
export async function parseProblem (response: ProblemHttpResponse, options?: ParseProblemOptions): Promise<ProblemError | undefined> {
  const { status: httpStatus, contentType, retryAfter, body } = await read(response)
  let doc: Record<string, unknown> | undefined
  if (body !== undefined && body !== '' && isJson(contentType)) {
    try {
      const parsed: unknown = JSON.parse(body)
      if (isProblemDetails(parsed)) doc = parsed as Record<string, unknown>
    } catch {
      doc = undefined
    }
  }
  if (doc === undefined && !isErrorStatus(httpStatus)) return undefined

  const status = isErrorStatus(httpStatus) ? httpStatus : isErrorStatus(doc?.status) ? doc.status : 500
  const type = typeof doc?.type === 'string' && doc.type !== '' ? doc.type : 'about:blank'
  const detail = typeof doc?.detail === 'string' ? doc.detail : undefined

  // Extension members, without the constructor's options: an upstream's
  // `headers` member must not become our response headers.
  const init: ProblemInit = Object.create(null)
  if (doc !== undefined) {
    for (const key of Object.keys(doc)) {
      if (!RESERVED_MEMBERS.has(key)) init[key] = doc[key]
    }
  }
  if (typeof doc?.instance === 'string') init.instance = doc.instance
  const retry = retryAfterOf(retryAfter)
  if (retry !== undefined) init.retryAfter = retry

  if (type !== 'about:blank') {
    const defined = definitionOf(type, options?.typeBase)
    if (defined !== undefined) {
      init.detail = detail
      const Defined = defined.problemClass
      return new Defined(init as never)
    }
  } else {
    const StatusClass = STATUS_CLASSES.get(status)
    if (StatusClass !== undefined) {
      init.status = status
      // The status class's constructor takes the detail apart; a custom title is kept.
      const problem = new StatusClass(detail, init as Extensions)
      if (typeof doc?.title === 'string') (problem as { title: string }).title = doc.title
      return problem
    }
  }
  init.status = status
  init.type = type
  if (typeof doc?.title === 'string') init.title = doc.title
  init.detail = detail
  return new ProblemError(init)
}
