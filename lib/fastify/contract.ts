import type { FastifyRequest } from 'fastify'
import { typeBySchemaId } from '../model/catalogue.js'
import { PROBLEM_DETAILS_ID, VALIDATION_PROBLEM_DETAILS_ID } from '../model/schemas.js'
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

const MAX_DEPTH = 16

/**
 * The `$ref`s and `$id`s in a response entry. Schema objects of other type
 * providers (Zod) may have getters that throw: such a property is skipped.
 */
function refsOf (value: unknown, out: Set<string>, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return
  for (const key of Object.keys(value)) {
    let child: unknown
    try {
      child = (value as Record<string, unknown>)[key]
    } catch {
      continue
    }
    if (key === '$ref' && typeof child === 'string') out.add(child.split('#', 1)[0])
    else if (key === '$id' && typeof child === 'string') out.add(child)
    else refsOf(child, out, depth + 1)
  }
}

function declaredBy (entry: unknown, settings: Settings): Declared {
  const ids = new Set<string>()
  refsOf(entry, ids, 0)
  if (ids.has(PROBLEM_DETAILS_ID) || ids.has(VALIDATION_PROBLEM_DETAILS_ID)) return 'any'
  const types = new Set<string>()
  for (const id of ids) {
    const type = typeBySchemaId(id)
    if (type !== undefined) types.add(resolveType(type.type, settings))
  }
  // A schema of the user's own: nothing to compare the problem with.
  return types.size === 0 ? 'unchecked' : types
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
  const route = `${request.routeOptions.method as string} ${request.routeOptions.url as string}`
  if (key === undefined) {
    return `route ${route} answered a ${rendering.status} problem of type ${rendering.type}, but declares ${describeDeclared(responses)}`
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
  return `route ${route} answered a ${rendering.status} problem of type ${rendering.type}, but declares at ${key} only ${[...declared].join(', ')}`
}

/** The key of a warning: once per route, status and type. */
export function contractKey (request: FastifyRequest, rendering: Rendering): string {
  return `contract ${request.routeOptions.method as string} ${request.routeOptions.url as string} ${rendering.status} ${rendering.type}`
}
