import type { FastifyInstance, RouteOptions } from 'fastify'
import type { TSchema } from '@sinclair/typebox'
import type { Settings } from './options.js'
import type { ProblemTypeClass } from './define.js'
import { ValidationProblem } from './validation.js'
import { isErrorStatus, reasonPhrase } from './status.js'
import { catalogue } from './catalogue.js'
import { ProblemDetailsRef, SHARED_SCHEMAS, ValidationProblemDetailsRef, schemaRef } from './schemas.js'

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
const VALIDATION = Symbol('fastify-problem-details.validation')

/** OpenAPI 3 component names (`components.schemas` keys). */
const COMPONENT_NAME = /^[A-Za-z0-9._-]+$/

function entry (description: string, schema: TSchema): ProblemResponse {
  return { description, content: { [PROBLEM_MEDIA_TYPE]: { schema } } }
}

function validationEntry (): ProblemResponse {
  const e = entry('The request is not valid: one errors[] entry per problem, with a JSON Pointer into the request.', ValidationProblemDetailsRef)
  Object.defineProperty(e, VALIDATION, { value: true })
  return e
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

/** Adds the shared schemas and the defined types' schemas an instance does not have yet. */
function addMissingSchemas (instance: FastifyInstance): void {
  for (const schema of SHARED_SCHEMAS) {
    if (instance.getSchema(schema.$id as string) === undefined) instance.addSchema(schema)
  }
  for (const type of catalogue) {
    if (instance.getSchema(type.schemaId) === undefined) instance.addSchema(type.schema)
  }
}

function has (response: Record<string, unknown>, key: number | string): boolean {
  return response[key] !== undefined
}

/**
 * The route's response schemas as this app answers: the validation entry at
 * `validationStatus`, and with `openapi.defaultResponses` a validation and a
 * 500 problem response where the route declares none of its own. The user's
 * schema objects may be shared between routes, so they are copied, not changed.
 */
function shapeResponses (route: RouteOptions, settings: Settings): void {
  const schema = route.schema as (Record<string, unknown> & { hide?: boolean }) | undefined
  let response = schema?.response as Record<string, unknown> | undefined
  let changed = false

  if (response !== undefined && settings.validationStatus !== 400) {
    const given = response[400] as Record<symbol, unknown> | undefined
    if (given !== undefined && given[VALIDATION] === true && !has(response, settings.validationStatus)) {
      response = Object.assign({}, response)
      delete response[400]
      response[settings.validationStatus] = given
      changed = true
    }
  }

  if (settings.openapi.defaultResponses && schema?.hide !== true) {
    const declared = response ?? {}
    const addValidation = !has(declared, settings.validationStatus) && !has(declared, '4xx') && !has(declared, 'default')
    const addServerError = !has(declared, 500) && !has(declared, '5xx') && !has(declared, 'default')
    if (addValidation || addServerError) {
      response = Object.assign({}, response)
      if (addValidation) response[settings.validationStatus] = validationEntry()
      if (addServerError) response[500] = entry('An unexpected error: nothing of it is disclosed (RFC 9457 §5).', ProblemDetailsRef)
      changed = true
    }
  }

  if (changed) route.schema = Object.assign({}, schema, { response })
}

/**
 * Adds the shared schemas at the instance the plugin is registered in, and an
 * `onRoute` hook that (a) adds the schemas of types defined after `register`
 * before Fastify compiles the route's schemas (at ready), so
 * `$ref: 'OutOfCreditProblem#'` resolves wherever the route is, and (b) shapes
 * the route's problem responses.
 */
export function installSchemas (fastify: FastifyInstance, settings: Settings): void {
  addMissingSchemas(fastify)
  fastify.addHook('onRoute', function problemSchemas (route: RouteOptions) {
    // Fastify's addSchema also adds to every existing child context, so the
    // registering instance is the one place to add to: the route's context is
    // one of its descendants, and @fastify/swagger finds the schema there.
    addMissingSchemas(fastify)
    shapeResponses(route, settings)
  })
}
