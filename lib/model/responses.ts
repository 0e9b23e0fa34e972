import type { TSchema } from '@sinclair/typebox'
import type { ProblemTypeClass } from './catalogue.js'
import { ValidationProblem } from './validation.js'
import { isErrorStatus, reasonPhrase } from './status.js'
import { ABOUT_BLANK } from './type-uri.js'
import { ProblemDetailsRef, ValidationProblemDetailsRef, schemaRef } from './schemas.js'

/** The media type of problem responses (RFC 9457 §3). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json'

/** A documented response header (`@fastify/swagger` reads `headers` of a response entry). */
export interface ResponseHeader {
  type: 'string'
  description: string
}

/** One `schema.response` entry: what Fastify serializes with and `@fastify/swagger` documents. */
export interface ProblemResponse {
  description: string
  headers?: Record<string, ResponseHeader>
  content: { 'application/problem+json': { schema: TSchema, example?: Record<string, unknown> } }
}

/** What `problemResponses()` takes: a status, a class from `defineProblem()`, or `ValidationProblem`. */
export type ProblemResponseKey = number | ProblemTypeClass | typeof ValidationProblem

/** The members a status entry pins, as a JSON Schema type (see `statusPins`). */
interface PinsSchema<N extends number> {
  readonly type: 'object'
  readonly required: readonly ['type', 'status']
  readonly properties: {
    readonly type: { readonly type: 'string', readonly const: 'about:blank' }
    readonly status: { readonly type: 'integer', readonly enum: readonly [N] }
  }
}

/**
 * The schema of a status entry, typed as the JSON Schema it is, so that
 * `@fastify/type-provider-json-schema-to-ts` (with the shared schemas as
 * `references`) infers `ProblemDetails & { type: 'about:blank', status: N }`.
 */
export type StatusProblemSchema<N extends number> = TSchema & {
  readonly allOf: readonly [{ readonly $ref: 'ProblemDetails#' }, PinsSchema<N>]
}

/** The schema of the validation entry, typed likewise. */
export type ValidationProblemSchema<N extends number> = TSchema & {
  readonly allOf: readonly [{ readonly $ref: 'ValidationProblemDetails#' }, PinsSchema<N>]
}

/** A `schema.response` entry with its schema's type. */
export interface ProblemResponseOf<Schema> {
  description: string
  headers?: Record<string, ResponseHeader>
  content: { 'application/problem+json': { schema: Schema, example?: Record<string, unknown> } }
}

/** The status a key of `problemResponses()` is documented at. */
export type StatusOfKey<K> = K extends number
  ? K
  : K extends { readonly schemaId: string, readonly status: infer N extends number }
    ? N
    : K extends typeof ValidationProblem ? 400 : never

/** The entry of one key. */
type EntryOfKey<K> = K extends number
  ? ProblemResponseOf<StatusProblemSchema<K>>
  : K extends { readonly schemaId: string, readonly ref: infer R extends TSchema }
    ? ProblemResponseOf<R>
    : K extends typeof ValidationProblem ? ProblemResponseOf<ValidationProblemSchema<400>> : ProblemResponse

/**
 * What `problemResponses(...keys)` returns, keyed by the statuses of its keys
 * (literal where they are), so `reply.code(404)` type-checks on a route that
 * spreads `...problemResponses(404)` into its responses. Several keys at one
 * status give a union of their entries, as the `anyOf` they are documented as.
 */
export type ProblemResponses<K> = {
  [N in StatusOfKey<K>]: EntryOfKey<K extends unknown ? (StatusOfKey<K> extends N ? K : never) : never>
}

/**
 * Marks the validation entry: its status is the answering app's
 * `validationStatus`, known only when the route is added. The mark's value
 * says whether `problemResponses()` was also given the status 400.
 */
export const VALIDATION = Symbol('fastify-problem-details.validation')

/** The value of the `VALIDATION` mark. */
export interface ValidationMark {
  /** `problemResponses(ValidationProblem, 400)`: a plain 400 is declared too. */
  plain: boolean
}

/** OpenAPI 3 component names (`components.schemas` keys). */
const COMPONENT_NAME = /^[A-Za-z0-9._-]+$/

/** Headers that statuses are sent with when the problem says so (RFC 9110 §10.2.3, §11.6.1, §10.2.1). */
const STATUS_HEADERS: Record<number, Record<string, ResponseHeader>> = {
  401: { 'WWW-Authenticate': { type: 'string', description: 'The authentication scheme(s) the resource accepts (RFC 9110 §11.6.1).' } },
  405: { Allow: { type: 'string', description: 'The methods the resource supports (RFC 9110 §10.2.1).' } },
  429: { 'Retry-After': { type: 'string', description: 'Seconds, or an HTTP date, after which to retry (RFC 9110 §10.2.3).' } },
  503: { 'Retry-After': { type: 'string', description: 'Seconds, or an HTTP date, after which to retry (RFC 9110 §10.2.3).' } }
}

/** The response headers to document for a status and the headers a defined type declares. */
export function responseHeaders (status: number, declared?: Record<string, unknown>): Record<string, ResponseHeader> | undefined {
  let headers = STATUS_HEADERS[status] === undefined ? undefined : { ...STATUS_HEADERS[status] }
  if (declared !== undefined) {
    for (const name of Object.keys(declared)) {
      headers ??= {}
      const known = Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase())
      if (known === undefined) headers[name] = { type: 'string', description: `Sent with every problem of this type (${String(declared[name])}).` }
    }
  }
  return headers
}

/**
 * The headers a problem entry at `status` should document and `given` lacks
 * (names compared case-insensitively), or `undefined` when none are missing:
 * a 401 is sent with `WWW-Authenticate`, a 405 with `Allow`, a 429 or 503
 * with `Retry-After`, however the route wrote its entry.
 */
export function missingStatusHeaders (status: number, given: unknown): Record<string, ResponseHeader> | undefined {
  const wanted = STATUS_HEADERS[status]
  if (wanted === undefined) return undefined
  const have = given !== null && typeof given === 'object' ? Object.keys(given).map((h) => h.toLowerCase()) : []
  let missing: Record<string, ResponseHeader> | undefined
  for (const name of Object.keys(wanted)) {
    if (!have.includes(name.toLowerCase())) (missing ??= {})[name] = wanted[name]
  }
  return missing
}

/**
 * One entry. The example goes on the media type object: OpenAPI 3.0 schemas
 * have no `examples`, and Fastify reads only the `schema` of a media type.
 */
export function entry (description: string, schema: TSchema, headers?: Record<string, ResponseHeader>, example?: Record<string, unknown>): ProblemResponse {
  const e: ProblemResponse = { description, content: { [PROBLEM_MEDIA_TYPE]: example === undefined ? { schema } : { schema, example } } }
  if (headers !== undefined) e.headers = headers
  return e
}

/** A status problem as an example document (RFC 9457 §4.2.1: `about:blank`, the reason phrase as title). */
export function statusExample (status: number): Record<string, unknown> {
  return { type: 'about:blank', title: reasonPhrase(status), status, detail: `An example ${reasonPhrase(status)} problem`, instance: '/example' }
}

/** A validation problem as an example document, at the status it is sent with. */
export function validationExample (status: number): Record<string, unknown> {
  return {
    ...statusExample(status),
    detail: 'body/email must match format "email"',
    errors: [{ detail: 'must match format "email"', pointer: '#/body/email' }]
  }
}

/**
 * The members a status entry pins: `type` to `about:blank` and `status` to the
 * entry's statuses. A plain status problem is `about:blank` (RFC 9457 §4.2.1):
 * a problem with a type of its own is a defined type, documented by its own
 * schema. Pinning both lets a client generated from the document tell the
 * problems of one operation apart by `type`, then by `status`.
 */
function statusPins (statuses: number[]): Record<string, unknown> {
  return {
    type: 'object',
    required: ['type', 'status'],
    properties: {
      type: { type: 'string', const: ABOUT_BLANK },
      status: { type: 'integer', enum: statuses }
    }
  }
}

/**
 * `ProblemDetails` with `type` pinned to `about:blank` and `status` to the
 * statuses of the entry, so that a client generated from the document knows
 * which problem it gets where.
 */
export function statusSchema (...statuses: number[]): TSchema {
  return { allOf: [ProblemDetailsRef, statusPins(statuses)] } as unknown as TSchema
}

/** `ValidationProblemDetails` pinned the same way, at the status validation problems are sent with. */
export function validationSchema (status: number): TSchema {
  return { allOf: [ValidationProblemDetailsRef, statusPins([status])] } as unknown as TSchema
}

/** The entry of a status problem: its reason phrase, `ProblemDetails` pinned to it, the headers it is sent with, an example. */
export function statusEntry (status: number, description: string = reasonPhrase(status)): ProblemResponse {
  return entry(description, statusSchema(status), responseHeaders(status), statusExample(status))
}

const VALIDATION_DESCRIPTION = 'The request is not valid: one errors[] entry per problem, with a JSON Pointer into the request.'

/**
 * The validation problem's entry at `status` (the app's `validationStatus`).
 * `problemResponses(ValidationProblem)` is called before the route knows its
 * app, so its entry is built at 400 and marked: the plugin rebuilds it at the
 * app's `validationStatus` when the route is added.
 */
export function validationEntry (status = 400, mark?: ValidationMark): ProblemResponse {
  const e = mark?.plain === true
    ? validationOrPlainEntry(`${VALIDATION_DESCRIPTION} Or another ${reasonPhrase(status)} problem (no errors[]).`)
    : entry(VALIDATION_DESCRIPTION, validationSchema(status), undefined, validationExample(status))
  if (mark !== undefined) Object.defineProperty(e, VALIDATION, { value: mark })
  return e
}

/** The mark of a validation entry from `problemResponses()`, if `value` is one. */
export function validationMark (value: unknown): ValidationMark | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<symbol, ValidationMark | undefined>)[VALIDATION] : undefined
}

/** What the unreadable-body 400 says: Fastify answers it before any validation. */
export const UNREADABLE = 'The request body could not be read: not valid JSON, empty with a JSON content type, or not as long as its Content-Length says.'

/**
 * At 400 on a route that validates and reads a body: a validation problem
 * (with `errors[]`) or an unreadable-body problem (without), so that a client
 * generated from the document does not count on `errors`.
 */
export function validationOrUnreadableEntry (): ProblemResponse {
  return validationOrPlainEntry('The request is not valid (one errors[] entry per problem, with a JSON Pointer into the request), or its body could not be read (no errors[]).')
}

/** At 400: a validation problem or a plain 400. */
function validationOrPlainEntry (description: string): ProblemResponse {
  return entry(description, { anyOf: [validationSchema(400), statusSchema(400)] } as unknown as TSchema, undefined, validationExample(400))
}

/**
 * `schema.response` entries for problem responses, keyed by status, each under
 * `content['application/problem+json']`:
 *
 * - a status (`404`): `ProblemDetails`, described by the reason phrase;
 * - a class from `defineProblem()`: its own schema at its status; several at
 *   one status are documented as `anyOf`;
 * - `ValidationProblem`: `ValidationProblemDetails` at the app's `validationStatus`.
 *
 * ```ts
 * app.get('/users/:id', { schema: { response: { 200: User, ...problemResponses(404, OutOfCredit) } } }, handler)
 * ```
 */
export function problemResponses<const K extends readonly ProblemResponseKey[]> (...keys: K): ProblemResponses<K[number]> {
  const out: Record<number, ProblemResponse> = {}
  const defined = new Map<number, Array<ProblemTypeClass>>()
  let validation = false
  for (const key of keys) {
    if (key === ValidationProblem) {
      validation = true
    } else if (typeof key === 'number') {
      if (!isErrorStatus(key)) throw new TypeError(`fastify-problem-details: problemResponses() takes statuses 400–599 (got ${key})`)
      out[key] = statusEntry(key)
    } else if (typeof key === 'function' && typeof (key as ProblemTypeClass).schemaId === 'string') {
      const cls = key as ProblemTypeClass
      const list = defined.get(cls.status)
      if (list === undefined) defined.set(cls.status, [cls])
      else if (!list.includes(cls)) list.push(cls)
    } else {
      throw new TypeError('fastify-problem-details: problemResponses() takes statuses, classes from defineProblem() and ValidationProblem')
    }
  }
  // Keyed 400 until the route is added: the plugin moves it to its validationStatus.
  if (validation) out[400] = validationEntry(400, { plain: out[400] !== undefined })
  for (const [status, classes] of defined) {
    // A status given beside defined types of that status: either can be answered.
    const plain = out[status] !== undefined && validationMark(out[status]) === undefined
    const schemas = classes.map((cls) => schemaRef(cls.schema) as TSchema)
    if (plain) schemas.unshift(statusSchema(status))
    const schema = schemas.length === 1 ? schemas[0] : { anyOf: schemas } as unknown as TSchema
    let declared: Record<string, unknown> | undefined
    for (const cls of classes) if (cls.headers !== undefined) declared = { ...declared, ...cls.headers }
    const titles = classes.map((cls) => cls.title)
    if (plain) titles.unshift(reasonPhrase(status))
    out[status] = entry(titles.join(' | '), schema, responseHeaders(status, declared))
  }
  return out as unknown as ProblemResponses<K[number]>
}

/**
 * The `refResolver` option of `@fastify/swagger`: shared schemas are named by
 * their `$id` under `components.schemas` (`ProblemDetails`, `OutOfCreditProblem`)
 * instead of `def-0`, `def-1`. An `$id` that is not a valid component name
 * (a URL, say) keeps the numbered name.
 */
export const refResolver = {
  buildLocalReference (json: Record<string, unknown>, _baseUri: unknown, _fragment: string, i: number): string {
    const id = json.$id
    return typeof id === 'string' && COMPONENT_NAME.test(id) ? id : `def-${i}`
  }
}
