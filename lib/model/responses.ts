import type { TSchema } from '@sinclair/typebox'
import type { ProblemTypeClass } from './catalogue.js'
import { ValidationProblem } from './validation.js'
import { isErrorStatus, reasonPhrase } from './status.js'
import { ProblemDetailsRef, ValidationProblemDetailsRef, schemaRef } from './schemas.js'

/** The media type of problem responses (RFC 9457 §3). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json'

/** One `schema.response` entry: what Fastify serializes with and `@fastify/swagger` documents. */
export interface ProblemResponse {
  description: string
  content: { 'application/problem+json': { schema: TSchema } }
}

/** What `problemResponses()` takes: a status, a class from `defineProblem()`, or `ValidationProblem`. */
export type ProblemResponseKey = number | ProblemTypeClass | typeof ValidationProblem

/**
 * Marks the validation entry: its status is the answering app's
 * `validationStatus`, known only when the route is added.
 */
export const VALIDATION = Symbol('fastify-problem-details.validation')

/** OpenAPI 3 component names (`components.schemas` keys). */
const COMPONENT_NAME = /^[A-Za-z0-9._-]+$/

export function entry (description: string, schema: TSchema): ProblemResponse {
  return { description, content: { [PROBLEM_MEDIA_TYPE]: { schema } } }
}

export function validationEntry (): ProblemResponse {
  const e = entry('The request is not valid: one errors[] entry per problem, with a JSON Pointer into the request.', ValidationProblemDetailsRef)
  Object.defineProperty(e, VALIDATION, { value: true })
  return e
}

/** What the unreadable-body 400 says: Fastify answers it before any validation. */
export const UNREADABLE = 'The request body could not be read: not valid JSON, empty with a JSON content type, or not as long as its Content-Length says.'

/**
 * At 400 on a route that validates and reads a body: a validation problem
 * (with `errors[]`) or an unreadable-body problem (without), so that a client
 * generated from the document does not count on `errors`.
 */
export function validationOrUnreadableEntry (): ProblemResponse {
  return entry('The request is not valid (one errors[] entry per problem, with a JSON Pointer into the request), or its body could not be read (no errors[]).',
    { anyOf: [ValidationProblemDetailsRef, ProblemDetailsRef] } as unknown as TSchema)
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
export function problemResponses (...keys: ProblemResponseKey[]): Record<number, ProblemResponse> {
  const out: Record<number, ProblemResponse> = {}
  const defined = new Map<number, Array<ProblemTypeClass>>()
  for (const key of keys) {
    if (key === ValidationProblem) {
      out[400] = validationEntry()
    } else if (typeof key === 'number') {
      if (!isErrorStatus(key)) throw new TypeError(`fastify-problem-details: problemResponses() takes statuses 400–599 (got ${key})`)
      out[key] = entry(reasonPhrase(key), ProblemDetailsRef)
    } else if (typeof key === 'function' && typeof (key as ProblemTypeClass).schemaId === 'string') {
      const cls = key as ProblemTypeClass
      const list = defined.get(cls.status)
      if (list === undefined) defined.set(cls.status, [cls])
      else if (!list.includes(cls)) list.push(cls)
    } else {
      throw new TypeError('fastify-problem-details: problemResponses() takes statuses, classes from defineProblem() and ValidationProblem')
    }
  }
  for (const [status, classes] of defined) {
    const schema = classes.length === 1
      ? schemaRef(classes[0].schema)
      : { anyOf: classes.map((cls) => schemaRef(cls.schema)) } as unknown as TSchema
    out[status] = entry(classes.map((cls) => cls.title).join(' | '), schema)
  }
  return out
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
