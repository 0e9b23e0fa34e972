import { ProblemError, type Extensions, type ProblemInit } from '../model/problem.js'
import { RESERVED_MEMBERS } from '../model/members.js'
import { STATUS_CLASSES } from '../model/classes.js'
import { findProblemType, type ProblemTypeEntry } from '../model/catalogue.js'
import { isErrorStatus } from '../model/status.js'
import { Value } from '@sinclair/typebox/value'
import { parseProblemXml } from './xml.js'

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

/** What `FetchResponseLike.body` gives: a reader of byte chunks (a WHATWG `ReadableStream`). */
export interface ByteStreamLike {
  getReader (): {
    read (): Promise<{ done: boolean, value?: Uint8Array }>
    cancel (reason?: unknown): Promise<void>
  }
  readonly locked?: boolean
  cancel? (reason?: unknown): Promise<void>
}

/** A fetch `Response` (global fetch, undici's `fetch`). */
export interface FetchResponseLike {
  readonly status: number
  readonly headers: { get (name: string): string | null }
  readonly bodyUsed?: boolean
  /** Read with a running byte count and cancelled past `maxBodyBytes`; without it, `text()` is used. */
  readonly body?: ByteStreamLike | null
  text (): Promise<string>
}

/** The result of undici's `request()`. */
export interface UndiciResponseLike {
  readonly statusCode: number
  readonly headers: Record<string, string | string[] | undefined>
  /** A `Readable`: iterated with a running byte count and destroyed past `maxBodyBytes`. */
  readonly body: {
    text (): Promise<string>
    [Symbol.asyncIterator]? (): AsyncIterator<unknown>
    destroy? (error?: Error): unknown
    dump? (options?: { limit: number }): Promise<unknown>
  }
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
  /**
   * The most body bytes read, 1 MiB by default. A larger `Content-Length`
   * rejects before any byte is read; a body that grows past it while read
   * rejects as soon as it does, and the stream is cancelled.
   */
  maxBodyBytes?: number
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

type BodyFormat = 'json' | 'xml' | undefined

/** What is read of a response before its body. */
interface Head {
  status: number
  contentType: string | undefined
  contentLength: string | undefined
  retryAfter: string | undefined
}

function headerOf (headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name]
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}

function isNodeShape (response: ProblemHttpResponse): response is UndiciResponseLike | InjectResponseLike {
  return typeof (response as { statusCode?: unknown }).statusCode === 'number'
}

function headOf (response: ProblemHttpResponse): Head {
  if (isNodeShape(response)) {
    const headers = response.headers as Record<string, unknown>
    if (headers === null || typeof headers !== 'object') throw notAResponse()
    return {
      status: response.statusCode,
      contentType: headerOf(headers, 'content-type'),
      contentLength: headerOf(headers, 'content-length'),
      retryAfter: headerOf(headers, 'retry-after')
    }
  }
  const r = response as FetchResponseLike
  if (r === null || typeof r !== 'object' || typeof r.status !== 'number' || r.headers === null || typeof r.headers?.get !== 'function') {
    throw notAResponse()
  }
  return {
    status: r.status,
    contentType: r.headers.get('content-type') ?? undefined,
    contentLength: r.headers.get('content-length') ?? undefined,
    retryAfter: r.headers.get('retry-after') ?? undefined
  }
}

function notAResponse (): TypeError {
  return new TypeError('parseProblem() takes a fetch Response, an undici request() result or an inject() result')
}

function tooLarge (limit: number, what: string): RangeError {
  return new RangeError(`parseProblem(): the response body ${what} over maxBodyBytes (${limit} bytes); it was not read`)
}

/** UTF-8 length of a string, without encoding it. */
function utf8Length (text: string): number {
  let length = text.length
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0xD800 && code <= 0xDBFF && (text.charCodeAt(i + 1) & 0xFC00) === 0xDC00) {
      length += 2 // a surrogate pair: 4 bytes for 2 units
      i++
    } else if (code >= 0x800) {
      length += 2 // a lone surrogate is written as U+FFFD, 3 bytes too
    } else if (code >= 0x80) {
      length += 1
    }
  }
  return length
}

function byteLength (chunk: unknown): number {
  if (typeof chunk === 'string') return utf8Length(chunk)
  if (chunk instanceof Uint8Array) return chunk.byteLength
  throw new TypeError('parseProblem(): the response body gave a chunk that is no bytes')
}

/** Lets go of a body this function does not read: cancelled, or drained a little to keep the connection. */
function discard (response: ProblemHttpResponse): void {
  try {
    if (isNodeShape(response)) {
      const body = (response as UndiciResponseLike).body
      if (body === null || typeof body !== 'object') return
      if (typeof body.dump === 'function') body.dump({ limit: 64 * 1024 }).catch(() => {})
      else if (typeof body.destroy === 'function') body.destroy()
      return
    }
    const body = (response as FetchResponseLike).body
    if (body !== null && typeof body === 'object' && body.locked !== true && typeof body.cancel === 'function') {
      body.cancel().catch(() => {})
    }
  } catch {
    // A body that cannot be let go of is the caller's to close.
  }
}

async function readReader (stream: ByteStreamLike, limit: number): Promise<string> {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let size = 0
  let text = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (value === undefined) continue
    size += byteLength(value)
    if (size > limit) {
      reader.cancel().catch(() => {})
      throw tooLarge(limit, 'grew')
    }
    text += decoder.decode(value, { stream: true })
  }
  return text + decoder.decode()
}

async function readIterable (body: UndiciResponseLike['body'], limit: number): Promise<string> {
  const decoder = new TextDecoder()
  let size = 0
  let text = ''
  const iterator = (body[Symbol.asyncIterator] as () => AsyncIterator<unknown>).call(body)
  for (;;) {
    const { done, value } = await iterator.next()
    if (done === true) break
    size += byteLength(value)
    if (size > limit) {
      // Destroying an undici body aborts the request: the rest is never received.
      if (typeof body.destroy === 'function') body.destroy()
      else await iterator.return?.()
      throw tooLarge(limit, 'grew')
    }
    text += typeof value === 'string' ? value : decoder.decode(value as Uint8Array, { stream: true })
  }
  return text + decoder.decode()
}

/** The body as text, at most `limit` bytes of it; `undefined` when it was already read. */
async function readBody (response: ProblemHttpResponse, head: Head, limit: number): Promise<string | undefined> {
  const declared = head.contentLength?.trim()
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
    discard(response)
    throw tooLarge(limit, `is ${declared} bytes (Content-Length),`)
  }
  let text: string | undefined
  if (isNodeShape(response)) {
    const body = response.body
    if (typeof body === 'string') {
      text = body // inject(): already in memory, the limit still holds
    } else if (body !== null && typeof body === 'object') {
      if (typeof body[Symbol.asyncIterator] === 'function') return await readIterable(body, limit)
      if (typeof body.text === 'function') text = await body.text()
    }
  } else {
    const r = response as FetchResponseLike
    if (r.bodyUsed === true) return undefined
    const stream = r.body
    if (stream === null) return ''
    if (stream !== undefined && typeof stream === 'object' && typeof stream.getReader === 'function') {
      if (stream.locked === true) return undefined
      return await readReader(stream, limit)
    }
    // A response-like object without a stream: read whole, then measured.
    text = await r.text()
  }
  if (typeof text !== 'string') return undefined
  // A UTF-8 byte per UTF-16 unit at least, three at most.
  if (text.length > limit || (text.length * 3 > limit && utf8Length(text) > limit)) throw tooLarge(limit, 'is')
  return text
}

function mediaTypeOf (contentType: string): string {
  const semicolon = contentType.indexOf(';')
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
}

/**
 * The format a body is read as: JSON for `application/json`, every `+json`
 * type (RFC 6839 §3.1) and no content type; XML for `application/problem+xml`
 * (RFC 9457 Appendix B). Other bodies (an HTML page from a proxy) are not read.
 */
function formatOf (contentType: string | undefined): BodyFormat {
  if (contentType === undefined) return 'json'
  const mediaType = mediaTypeOf(contentType)
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) return 'json'
  if (mediaType === 'application/problem+xml') return 'xml'
  return undefined
}

/** The longest `Retry-After` taken from an upstream: one day. */
const MAX_RETRY_AFTER_SECONDS = 86_400
const DELAY_SECONDS = /^\d+$/
// RFC 9110 §5.6.7 IMF-fixdate, the one form a sender generates.
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/

/**
 * `Retry-After` (RFC 9110 §10.2.3), bounded: delta-seconds as a non-negative
 * integer, capped at one day; or an IMF-fixdate that names a real instant
 * (weekday included) from 1970 to one day ahead. Anything else is ignored.
 */
function retryAfterOf (value: string | undefined, now: number): number | Date | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (DELAY_SECONDS.test(trimmed)) return Math.min(Number(trimmed), MAX_RETRY_AFTER_SECONDS)
  if (!IMF_FIXDATE.test(trimmed)) return undefined
  const date = new Date(trimmed)
  const time = date.getTime()
  // The round trip refuses 31 Feb and a wrong weekday, which Date.parse would shift or accept.
  if (Number.isNaN(time) || date.toUTCString() !== trimmed) return undefined
  if (time < 0 || time > now + MAX_RETRY_AFTER_SECONDS * 1000) return undefined
  return date
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

function membersMatch (entry: ProblemTypeEntry, members: Record<string, unknown>, format: BodyFormat): boolean {
  const schema = entry.extensions
  if (schema === undefined) return true
  try {
    // XML carries every leaf as text: read it as the schema's types first.
    // Converted on a copy: members that fail the check are kept as sent.
    const value = format === 'xml' ? Value.Convert(schema, Value.Clone(members)) : members
    if (!Value.Check(schema, value)) return false
    if (value !== members) {
      for (const key of Object.keys(members)) members[key] = (value as Record<string, unknown>)[key]
    }
    return true
  } catch {
    // A schema TypeBox cannot check without more context (an unresolved $ref): not a match.
    return false
  }
}

function parseDocument (body: string | undefined, format: BodyFormat): Record<string, unknown> | undefined {
  if (body === undefined || body === '' || format === undefined) return undefined
  let parsed: unknown
  if (format === 'xml') {
    parsed = parseProblemXml(body)
  } else {
    try {
      parsed = JSON.parse(body)
    } catch {
      return undefined
    }
  }
  return isProblemDetails(parsed) ? parsed as Record<string, unknown> : undefined
}

/**
 * Reads a problem response into a `ProblemError`.
 *
 * - A response whose status is below 400 is no error: `undefined`, and its
 *   body is left unread for the caller.
 * - The HTTP status is the problem's status (RFC 9457 §3.1.2: the member is
 *   advisory; the response is what happened); a status HTTP does not define
 *   (600 and up) gives 500.
 * - The body is read as JSON (`application/json`, `+json`, none) or as
 *   `application/problem+xml` (Appendix B), at most `maxBodyBytes` of it;
 *   other bodies are not read.
 * - A type defined with `defineProblem()` (recognised as defined, or relative
 *   to `options.typeBase`) gives its class when the HTTP status is the
 *   definition's and the extension members match its schema; else a plain
 *   `ProblemError` carrying them. `about:blank` gives the status class
 *   (`NotFound`, …), other types a plain `ProblemError`. Members of the wrong
 *   type are ignored (§3.1).
 * - `Retry-After` is kept when it is delta-seconds (capped at one day) or an
 *   IMF-fixdate no more than a day ahead.
 *
 * Rejects with a `RangeError` for a body over `maxBodyBytes`, and a
 * `TypeError` for something that is no response.
 */
export async function parseProblem (response: ProblemHttpResponse, options?: ParseProblemOptions): Promise<ProblemError | undefined> {
  const limit = options?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new TypeError(`parseProblem(): maxBodyBytes must be a non-negative integer; got ${String(limit)}`)
  }
  const head = headOf(response)
  const httpStatus = head.status
  if (!(httpStatus >= 400)) return undefined
  const status = isErrorStatus(httpStatus) ? httpStatus : 500

  const format = formatOf(head.contentType)
  let doc: Record<string, unknown> | undefined
  if (format === undefined) discard(response)
  else doc = parseDocument(await readBody(response, head, limit), format)

  const type = typeof doc?.type === 'string' && doc.type !== '' ? doc.type : 'about:blank'
  const title = typeof doc?.title === 'string' ? doc.title : undefined
  const detail = typeof doc?.detail === 'string' ? doc.detail : undefined

  // The received members go where members go, and only there: an upstream's
  // `headers`, `retryAfter` or `cause` member must not become options of the
  // error we hand back (and so our response headers, if it is rethrown).
  const members: Extensions = Object.create(null)
  if (doc !== undefined) {
    for (const key of Object.keys(doc)) {
      if (!RESERVED_MEMBERS.has(key)) members[key] = doc[key]
    }
  }
  const instance = typeof doc?.instance === 'string' ? doc.instance : undefined
  const retry = retryAfterOf(head.retryAfter, Date.now())

  if (type !== 'about:blank') {
    const defined = definitionOf(type, options?.typeBase)
    if (defined !== undefined && defined.status === status && membersMatch(defined, members, format)) {
      // A defined class keeps the members its schema declares.
      members.detail = detail
      const Defined = defined.problemClass
      return new Defined(members, { instance, retryAfter: retry })
    }
  } else {
    const StatusClass = STATUS_CLASSES.get(status)
    if (StatusClass !== undefined) {
      // A custom title is kept.
      return new StatusClass(detail, members, { title, instance, retryAfter: retry })
    }
  }
  const init: ProblemInit = { status, type, title, detail, instance, retryAfter: retry, extensions: members }
  return new ProblemError(init)
}
