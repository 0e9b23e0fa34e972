import type { FastifyRequest } from 'fastify'
import { typeBySchemaId } from '../model/catalogue.js'
import { PROBLEM_DETAILS_ID, VALIDATION_PROBLEM_DETAILS_ID } from '../model/schemas.js'
import { walkSchema } from '../model/schema-walk.js'
import { resolveType } from '../response/render.js'
import type { Rendering } from '../response/serialize.js'
import type { ContractDeclared as Declared, Settings } from './options.js'

/**
 * The contract check (`contractCheck`, development only): a route that
 * declares response schemas and answers a problem they do not declare is
 * told about it, in `'warn'` mode once per route, status and type, in
 * `'throw'` mode on every such answer, which then becomes a 500 a test sees.
 * Routes without response schemas are not checked.
 */

/** The string values a schema pins a member to: `const: 'x'` or `enum: ['x', 'y']`. */
function pinned (schema: unknown): string[] | undefined {
  if (schema === null || typeof schema !== 'object') return undefined
  const { const: one, enum: many } = schema as { const?: unknown, enum?: unknown }
  if (typeof one === 'string') return [one]
  if (Array.isArray(many) && many.length > 0 && many.every((v) => typeof v === 'string')) return many as string[]
  return undefined
}

/** The types an `allOf` pins (`allOf: [ProblemDetails, { properties: { type: { const: 'about:blank' } } }]`), if it pins them. */
function pinnedTypes (node: Record<string, unknown>): string[] | undefined {
  const allOf = node.allOf
  if (!Array.isArray(allOf)) return undefined
  for (const part of allOf) {
    const properties = (part as { properties?: { type?: unknown } } | null)?.properties
    const types = pinned(properties?.type)
    if (types !== undefined) return types
  }
  return undefined
}

/**
 * What a response entry declares. A shared problem schema (`ProblemDetails`,
 * `ValidationProblemDetails`) declares any type, unless an `allOf` pins its
 * `type` (a status entry of `problemResponses()` pins `about:blank`); a
 * defined type's schema declares its type.
 */
function declaredBy (entry: unknown, settings: Settings): Declared {
  const types = new Set<string>()
  let any = false
  walkSchema(entry, {
    enter (node) {
      const pins = pinnedTypes(node)
      if (pins === undefined) return true
      for (const type of pins) types.add(resolveType(type, settings))
      return false
    },
    ref: (id) => { any ||= addDefined(id, types, settings) },
    id: (id) => { any ||= addDefined(id, types, settings) }
  })
  if (any) return 'any'
  // A schema of the user's own: nothing to compare the problem with.
  return types.size === 0 ? 'unchecked' : types
}

/** Adds the type a schema `$id` names to `types`; `true` for a shared schema, which declares any type. */
function addDefined (id: string, types: Set<string>, settings: Settings): boolean {
  if (id === PROBLEM_DETAILS_ID || id === VALIDATION_PROBLEM_DETAILS_ID) return true
  const type = typeBySchemaId(id)
  if (type !== undefined) types.add(resolveType(type.type, settings))
  return false
}

/** The entry a status falls under: the status, its class (`4xx`), or `default`. */
function entryKey (response: Record<string, unknown>, status: number): string | undefined {
  const klass = String(status)[0]
  for (const key of [String(status), klass + 'xx', klass + 'XX', 'default']) if (response[key] !== undefined) return key
  return undefined
}

function describeDeclared (response: Record<string, unknown>): string {
  const keys = Object.keys(response)
  return keys.length === 0 ? 'no responses' : 'responses ' + keys.join(', ')
}

/**
 * Why this answer breaks the route's declared responses, or `undefined`.
 * Per-route results are cached on the route's response object (per app, in
 * `settings.contracts`).
 */
export function contractViolation (request: FastifyRequest, rendering: Rendering, settings: Settings): string | undefined {
  const response = (request.routeOptions?.schema as { response?: unknown } | undefined)?.response
  if (response === null || typeof response !== 'object') return undefined
  const responses = response as Record<string, unknown>
  const key = entryKey(responses, rendering.status)
  if (key === undefined) {
    return `route ${routeOf(request)} answered a ${rendering.status} problem of type ${rendering.type}, but declares ${describeDeclared(responses)}`
  }
  let byKey = settings.contracts.get(response)
  if (byKey === undefined) {
    byKey = new Map()
    settings.contracts.set(response, byKey)
  }
  let declared = byKey.get(key)
  if (declared === undefined) {
    declared = declaredBy(responses[key], settings)
    byKey.set(key, declared)
  }
  if (declared === 'any' || declared === 'unchecked' || declared.has(rendering.type)) return undefined
  return `route ${routeOf(request)} answered a ${rendering.status} problem of type ${rendering.type}, but declares at ${key} only ${[...declared].join(', ')}`
}

/** The route as the messages name it: `GET /users/:id`. Built only for a violation. */
function routeOf (request: FastifyRequest): string {
  return `${request.routeOptions.method as string} ${request.routeOptions.url as string}`
}

/** The key of a warning: once per route, status and type. */
export function contractKey (request: FastifyRequest, rendering: Rendering): string {
  return `contract ${routeOf(request)} ${rendering.status} ${rendering.type}`
}
