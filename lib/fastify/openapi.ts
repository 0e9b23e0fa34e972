import type { FastifyInstance, RouteOptions } from 'fastify'
import type { Settings } from './options.js'
import { typeBySchemaId, type ProblemTypeEntry } from '../model/catalogue.js'
import { ProblemDetailsRef, SHARED_SCHEMAS } from '../model/schemas.js'
import { VALIDATION, entry, validationEntry } from '../model/responses.js'
import { documentType, type AppState } from '../mapping/registry.js'

function addMissingSchema (instance: FastifyInstance, schema: { $id?: string }): void {
  if (instance.getSchema(schema.$id as string) === undefined) instance.addSchema(schema)
}

/** How deep a schema is searched for `$ref`s; problem responses sit a few levels down. */
const MAX_DEPTH = 32

/** The `$id` a `$ref` names: `'OutOfCreditProblem#'`, `'OutOfCreditProblem'`, `'OutOfCreditProblem#/properties/balance'`. */
function refId (ref: string): string {
  const hash = ref.indexOf('#')
  return hash === -1 ? ref : ref.slice(0, hash)
}

/**
 * Every `$ref` in a schema, each object visited once per app (routes share
 * schema objects such as `OutOfCredit.ref`). Schemas of other type providers
 * (Zod) are objects too: a property that cannot be read is skipped.
 */
function collectRefs (value: unknown, seen: WeakSet<object>, out: Set<string>, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH || seen.has(value)) return
  seen.add(value)
  const ref = (value as { $ref?: unknown }).$ref
  if (typeof ref === 'string') out.add(refId(ref))
  for (const key of Object.keys(value)) {
    let child: unknown
    try {
      child = (value as Record<string, unknown>)[key]
    } catch {
      continue
    }
    collectRefs(child, seen, out, depth + 1)
  }
}

/**
 * What an app documents, as its routes are added: the defined types their
 * response schemas (and the shared schemas they can see) reference by
 * `$ref`. A name that is no defined type yet is looked up again at each
 * later route, so a type defined after the route that names it is still
 * found while routes are being added.
 */
class ReferencedTypes {
  readonly #state: AppState
  readonly #seen = new WeakSet<object>()
  /** `$id`s referenced that name no defined type (yet): user schemas, or types defined later. */
  readonly #unknown = new Set<string>()

  constructor (state: AppState) {
    this.#state = state
  }

  add (route: RouteOptions, instance: FastifyInstance): void {
    const found = new Set<string>()
    collectRefs((route.schema as { response?: unknown } | undefined)?.response, this.#seen, found, 0)
    const shared = instance.getSchemas() as Record<string, unknown>
    for (const id of Object.keys(shared)) collectRefs(shared[id], this.#seen, found, 0)
    for (const id of this.#unknown) found.add(id)
    for (const id of found) {
      const type = typeBySchemaId(id)
      if (type === undefined) {
        this.#unknown.add(id)
      } else {
        this.#unknown.delete(id)
        documentType(this.#state, type)
      }
    }
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
 * `onRoute` hook that (a) documents the defined types the route references
 * and adds their schemas before Fastify compiles the route's schemas (at
 * ready), so `$ref: 'OutOfCreditProblem#'` resolves wherever the route is,
 * and (b) shapes the route's problem responses. A type given to
 * `document()` has its schema added at once. Only the types this app
 * documents become its shared schemas (docs/openapi.md#shared-schemas).
 */
export function installSchemas (fastify: FastifyInstance, settings: Settings, state: AppState): void {
  for (const schema of SHARED_SCHEMAS) addMissingSchema(fastify, schema)
  // Fastify's addSchema also adds to every existing child context, so the
  // registering instance is the one place to add to: the route's context is
  // one of its descendants, and @fastify/swagger finds the schema there.
  state.onDocument = (type: ProblemTypeEntry) => addMissingSchema(fastify, type.schema)
  const referenced = new ReferencedTypes(state)
  fastify.addHook('onRoute', function problemSchemas (this: FastifyInstance, route: RouteOptions) {
    referenced.add(route, this)
    shapeResponses(route, settings)
  })
}
