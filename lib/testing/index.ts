import { AssertionError } from 'node:assert'
import { inspect, isDeepStrictEqual } from 'node:util'

/**
 * The test kit, `fastify-problem-details/testing`: one assertion that a
 * response is an RFC 9457 problem, for any test runner (node:test, tap,
 * vitest, jest): it throws node:assert's `AssertionError`, which they all
 * report. It loads no server code, only node:assert and node:util.
 */

/** The result of Fastify's `inject()` (light-my-request). */
export interface InjectResult {
  readonly statusCode: number
  readonly headers: Record<string, string | string[] | number | undefined>
  readonly body: string
}

/** The result of undici's `request()`: the body is read here. */
export interface UndiciResult {
  readonly statusCode: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: { text (): Promise<string> }
}

/** A fetch `Response` (global fetch, undici's `fetch`): the body is read here. */
export interface FetchResult {
  readonly status: number
  readonly headers: { get (name: string): string | null }
  readonly bodyUsed?: boolean
  text (): Promise<string>
}

export type ProblemResponseLike = InjectResult | UndiciResult | FetchResult

/** A problem details object as received: the standard members typed as Appendix A has them. */
export interface ReceivedProblem {
  readonly type?: string
  readonly title?: string
  readonly status: number
  readonly detail?: string
  readonly instance?: string
  readonly [member: string]: unknown
}

/**
 * Members the problem must have. A value is compared with deep strict
 * equality; a `RegExp` must match a string member; `undefined` means the
 * member must be absent.
 */
export type ExpectedProblem = Readonly<Record<string, unknown>>

const PROBLEM_JSON = 'application/problem+json'

// RFC 3986 §2: a URI reference has only unreserved, reserved and
// percent-encoded characters (Appendix A's "format": "uri-reference").
const URI_REFERENCE = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/

/**
 * RFC 3986 §4.1: a URI or a relative reference; a relative reference's first
 * segment has no colon (§4.2), or it would read as a scheme.
 */
function isUriReference (value: string): boolean {
  if (!URI_REFERENCE.test(value)) return false
  if (SCHEME.test(value)) return true
  const end = value.search(/[/?#]/)
  return !(end === -1 ? value : value.slice(0, end)).includes(':')
}

function fail (message: string, actual: unknown, expected: unknown, operator: string): never {
  throw new AssertionError({ message: 'assertProblem: ' + message, actual, expected, operator, stackStartFn: assertProblem })
}

function show (value: unknown): string {
  return inspect(value, { depth: 4, breakLength: Infinity })
}

function headerOf (headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name]
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}

interface Read { status: number, contentType: string | undefined, body: string }

async function read (response: ProblemResponseLike): Promise<Read> {
  if (response === null || typeof response !== 'object') {
    fail('expected an inject() result, an undici request() result or a fetch Response', response, 'a response', 'assertProblem')
  }
  if (typeof (response as { statusCode?: unknown }).statusCode === 'number') {
    const r = response as InjectResult | UndiciResult
    const headers = (r.headers ?? {}) as Record<string, unknown>
    const body: unknown = typeof r.body === 'string' ? r.body : typeof r.body?.text === 'function' ? await r.body.text() : undefined
    if (typeof body !== 'string') fail('the response has no body to read', r.body, 'a body', 'assertProblem')
    return { status: r.statusCode, contentType: headerOf(headers, 'content-type'), body }
  }
  const r = response as FetchResult
  if (typeof r.status !== 'number' || typeof r.headers?.get !== 'function' || typeof r.text !== 'function') {
    fail('expected an inject() result, an undici request() result or a fetch Response', response, 'a response', 'assertProblem')
  }
  if (r.bodyUsed === true) fail('the body of this fetch Response was read already', 'body used', 'an unread body', 'assertProblem')
  return { status: r.status, contentType: r.headers.get('content-type') ?? undefined, body: await r.text() }
}

/** The media type of a `Content-Type` value, without parameters, lower-cased (RFC 9110 §8.3.1). */
function mediaTypeOf (contentType: string): string {
  const semicolon = contentType.indexOf(';')
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
}

/** The shape RFC 9457 Appendix A's JSON Schema gives the standard members. */
function checkShape (doc: Record<string, unknown>): void {
  for (const member of ['type', 'instance']) {
    const value = doc[member]
    if (value === undefined) continue
    if (typeof value !== 'string') fail(`member "${member}" must be a string (RFC 9457 §3.1), got ${show(value)}`, value, 'a string', 'typeof')
    if (!isUriReference(value)) {
      fail(`member "${member}" must be a URI reference (RFC 9457 Appendix A), got ${show(value)}`, value, 'a URI reference', 'match')
    }
  }
  for (const member of ['title', 'detail']) {
    const value = doc[member]
    if (value !== undefined && typeof value !== 'string') fail(`member "${member}" must be a string (RFC 9457 §3.1), got ${show(value)}`, value, 'a string', 'typeof')
  }
}

function checkMember (doc: Record<string, unknown>, name: string, expected: unknown): void {
  const has = Object.prototype.hasOwnProperty.call(doc, name)
  const actual = has ? doc[name] : undefined
  if (expected === undefined) {
    if (has) fail(`member "${name}" should be absent, got ${show(actual)}`, actual, undefined, 'absent')
    return
  }
  if (!has) fail(`member "${name}" is missing, expected ${show(expected)}`, undefined, expected, 'deepStrictEqual')
  if (expected instanceof RegExp) {
    if (typeof actual !== 'string' || !expected.test(actual)) fail(`member "${name}" is ${show(actual)}, expected to match ${String(expected)}`, actual, expected, 'match')
    return
  }
  if (!isDeepStrictEqual(actual, expected)) fail(`member "${name}" is ${show(actual)}, expected ${show(expected)}`, actual, expected, 'deepStrictEqual')
}

/**
 * Asserts that `response` is a problem details response and gives back its
 * body: `Content-Type` `application/problem+json` (RFC 9457 §3), a JSON
 * object body, a `status` member equal to the HTTP status (§3.1.2), the
 * standard members shaped as Appendix A has them, and every member of
 * `expected`. Always returns a promise (fetch and undici bodies are streams):
 * `await` it. A failure is an `AssertionError` naming the member that differs.
 */
export async function assertProblem (response: ProblemResponseLike, expected?: ExpectedProblem): Promise<ReceivedProblem> {
  const { status, contentType, body } = await read(response)
  if (contentType === undefined || mediaTypeOf(contentType) !== PROBLEM_JSON) {
    fail(`Content-Type is ${show(contentType)}, expected "${PROBLEM_JSON}"`, contentType, PROBLEM_JSON, 'strictEqual')
  }
  let doc: unknown
  try {
    doc = JSON.parse(body)
  } catch {
    fail(`the body is not JSON: ${show(body.length > 200 ? body.slice(0, 200) + '…' : body)}`, body, 'a JSON object', 'JSON.parse')
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) fail(`the body is not a JSON object: ${show(doc)}`, doc, 'a JSON object', 'typeof')
  const problem = doc as Record<string, unknown>
  if (problem.status !== status) fail(`member "status" is ${show(problem.status)}, expected ${status} (the HTTP status)`, problem.status, status, 'strictEqual')
  checkShape(problem)
  if (expected !== undefined) {
    for (const name of Object.keys(expected)) checkMember(problem, name, expected[name])
  }
  return problem as ReceivedProblem
}
