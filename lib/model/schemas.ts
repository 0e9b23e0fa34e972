import { Type, type Static, type TObject, type TSchema, type TUnsafe } from '@sinclair/typebox'

/**
 * The shared JSON Schemas of problem responses, written with TypeBox so that
 * TypeBox users get static types from them. The plugin adds them to the root
 * instance with `addSchema`, so a route refers to them with
 * `$ref: 'ProblemDetails#'` (or the typed refs below) instead of copying them.
 *
 * The `$id`s are plain names, not URLs: they are stable across versions, and
 * with `refResolver` they become the names under `components.schemas`.
 */

/** `$id` of the schema of every problem response. */
export const PROBLEM_DETAILS_ID = 'ProblemDetails'
/** `$id` of the schema of validation problems (`errors[]`). */
export const VALIDATION_PROBLEM_DETAILS_ID = 'ValidationProblemDetails'

/** The five standard members (RFC 9457 §3.1), shared by every problem schema. */
export const standardMembers = {
  type: Type.String({
    format: 'uri-reference',
    description: 'A URI reference that identifies the problem type (RFC 9457 §3.1.1); "about:blank" when the status code says it all.'
  }),
  title: Type.String({ description: 'A short, human-readable summary of the problem type (RFC 9457 §3.1.3).' }),
  status: Type.Integer({ minimum: 400, maximum: 599, description: 'The HTTP status code of this response (RFC 9457 §3.1.2).' }),
  detail: Type.Optional(Type.String({ description: 'A human-readable explanation specific to this occurrence (RFC 9457 §3.1.4).' })),
  instance: Type.Optional(Type.String({
    format: 'uri-reference',
    description: 'A URI reference that identifies this occurrence (RFC 9457 §3.1.5).'
  }))
}

/**
 * Any problem details object (RFC 9457 §3). Extension members are allowed
 * (RFC 9457 §3.2), so `additionalProperties` is explicitly true.
 */
export const ProblemDetails: TObject<typeof standardMembers> & { readonly $id: typeof PROBLEM_DETAILS_ID } = Type.Object(standardMembers, {
  $id: PROBLEM_DETAILS_ID,
  title: 'Problem details',
  description: 'An RFC 9457 problem details object (application/problem+json).',
  additionalProperties: true,
  // A real problem document, so that Swagger UI shows one (not "status": 599).
  examples: [{ type: 'about:blank', title: 'Not Found', status: 404, detail: 'User 42 does not exist', instance: '/users/42' }]
}) as TObject<typeof standardMembers> & { readonly $id: typeof PROBLEM_DETAILS_ID }

/** One entry of `errors[]`: what is wrong and where, as RFC 9457 §3's example has it. */
export const ValidationError = Type.Object({
  detail: Type.String({ description: 'What is wrong with this part of the request.' }),
  pointer: Type.Optional(Type.String({
    description: 'A JSON Pointer (RFC 6901) as a URI fragment into the request: "#/body/email", "#/querystring/limit".'
  }))
}, { additionalProperties: true })

const validationMembers = {
  ...standardMembers,
  errors: Type.Array(ValidationError, { description: 'One entry per invalid part of the request.' })
}

/**
 * A validation problem: a problem details object with `errors[]`.
 *
 * The `$id`s of the shared schemas are typed as their literal names, so that
 * `@fastify/type-provider-json-schema-to-ts` can resolve `{ $ref: 'ProblemDetails#' }`
 * through its `references` option (docs/openapi.md#plain-json-schema-and-fastifytype-provider-json-schema-to-ts).
 */
export const ValidationProblemDetails: TObject<typeof validationMembers> & { readonly $id: typeof VALIDATION_PROBLEM_DETAILS_ID } = Type.Object(validationMembers, {
  $id: VALIDATION_PROBLEM_DETAILS_ID,
  title: 'Validation problem details',
  description: 'An RFC 9457 problem details object for a request that failed validation.',
  additionalProperties: true,
  examples: [{
    type: 'about:blank',
    title: 'Bad Request',
    status: 400,
    detail: 'body/email must match format "email"',
    instance: '/users',
    errors: [{ detail: 'must match format "email"', pointer: '#/body/email' }]
  }]
}) as TObject<typeof validationMembers> & { readonly $id: typeof VALIDATION_PROBLEM_DETAILS_ID }

/**
 * A typed reference to a shared schema: `{ $ref: '<$id>#' }` for Fastify and
 * `@fastify/swagger`, with the static type of the schema it points to for
 * TypeBox and `@fastify/type-provider-typebox`.
 */
export function schemaRef<T extends TSchema & { $id?: string }> (schema: T): TUnsafe<Static<T>> {
  if (typeof schema.$id !== 'string') throw new TypeError('fastify-problem-details: schemaRef() needs a schema with an $id')
  return Type.Unsafe<Static<T>>({ $ref: schema.$id + '#' })
}

/** `{ $ref: 'ProblemDetails#' }`, typed. */
export const ProblemDetailsRef = schemaRef(ProblemDetails)
/** `{ $ref: 'ValidationProblemDetails#' }`, typed. */
export const ValidationProblemDetailsRef = schemaRef(ValidationProblemDetails)

/** The schemas the plugin adds to the root instance, in order. */
export const SHARED_SCHEMAS: readonly TObject[] = [ProblemDetails, ValidationProblemDetails]
