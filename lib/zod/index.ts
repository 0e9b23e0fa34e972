import type { FastifySerializerCompiler } from 'fastify/types/schema.js'
import {
  serializerCompiler as zodSerializerCompiler,
  jsonSchemaTransform as zodJsonSchemaTransform
} from 'fastify-type-provider-zod'

/**
 * `fastify-problem-details/zod`: the glue for `fastify-type-provider-zod`
 * users. Its serializer compiler and its `jsonSchemaTransform` take Zod
 * schemas only, while problem responses (`problemResponses()`,
 * `defaultResponses`, `OutOfCredit.ref`) are JSON Schema `$ref`s to the
 * plugin's shared schemas: both refuse them (`Invalid schema passed:
 * {"$ref":"ProblemDetails#"}`). The wrappers here hand Zod schemas to
 * fastify-type-provider-zod and leave JSON Schema entries to Fastify and
 * `@fastify/swagger`, which know them. Zod validation failures need nothing:
 * the provider reports them as Fastify validation errors with an
 * `instancePath`, which the plugin answers with `errors[].pointer`.
 *
 * This module is a subpath of its own, so `zod` and
 * `fastify-type-provider-zod` (optional peer dependencies) are loaded only by
 * the apps that import it.
 */

type RouteSchema = Record<string, unknown> & { response?: Record<string, unknown> }

/** A Zod 4 schema (`zod` and `zod/mini` alike carry `_zod`). */
function isZod (value: unknown): boolean {
  return value !== null && typeof value === 'object' && '_zod' in value
}

/** Whether fastify-type-provider-zod can handle this `schema.response` entry. */
function isZodEntry (entry: unknown): boolean {
  if (isZod(entry)) return true
  if (entry === null || typeof entry !== 'object') return false
  const { properties, content } = entry as { properties?: unknown, content?: unknown }
  if (isZod(properties)) return true
  if (content !== null && typeof content === 'object') {
    const media = Object.values(content as Record<string, { schema?: unknown } | undefined>)
    return media.length > 0 && media.every((m) => isZod(m?.schema))
  }
  return false
}

/**
 * Fastify's `serializerCompiler` option: Zod response schemas are encoded by
 * fastify-type-provider-zod; any other schema (the problem responses, which
 * the plugin sends already serialized) gets `JSON.stringify`.
 */
export function problemSerializerCompiler (base: FastifySerializerCompiler<unknown> = zodSerializerCompiler as FastifySerializerCompiler<unknown>): FastifySerializerCompiler<unknown> {
  return function serializerCompiler (route) {
    if (isZodEntry(route.schema)) return base(route)
    return (data: unknown) => typeof data === 'string' ? data : JSON.stringify(data)
  }
}

/** The serializer compiler for Zod apps with problem responses. */
export const serializerCompiler = problemSerializerCompiler()

/** A `@fastify/swagger` `transform`, as far as it is used here. */
type Transform = (input: { schema: RouteSchema, url: string }) => { schema: RouteSchema, url: string }

/**
 * Wraps a `@fastify/swagger` `transform` made for Zod schemas (the provider's
 * `jsonSchemaTransform`, or one from its `createJsonSchemaTransform`): it
 * sees the Zod response entries, and the JSON Schema entries (the problem
 * responses) are put back as they were, for `@fastify/swagger` to resolve.
 */
export function withProblemResponses<T extends (input: any) => any> (given: T): T {
  const transform = given as unknown as Transform
  const wrapped: Transform = function problemJsonSchemaTransform (input) {
    const response = input.schema?.response
    if (response === undefined || response === null || typeof response !== 'object') return transform(input)
    const zod: Record<string, unknown> = {}
    const plain: Record<string, unknown> = {}
    for (const key of Object.keys(response)) {
      if (isZodEntry(response[key])) zod[key] = response[key]
      else plain[key] = response[key]
    }
    const out = transform({ ...input, schema: { ...input.schema, response: zod } })
    if (out.schema === undefined || out.schema.hide === true) return out
    // The route's own order of statuses, each entry transformed or as given.
    const merged: Record<string, unknown> = {}
    const transformed = out.schema.response ?? {}
    for (const key of Object.keys(response)) merged[key] = key in plain ? plain[key] : transformed[key]
    return { ...out, schema: { ...out.schema, response: merged } }
  }
  return wrapped as unknown as T
}

/** `jsonSchemaTransform` of fastify-type-provider-zod, passing problem responses through. */
export const jsonSchemaTransform: typeof zodJsonSchemaTransform = withProblemResponses(zodJsonSchemaTransform)
