import type { FastifyInstance, RouteOptions } from 'fastify'
import type { Settings } from './options.js'
import { catalogue } from '../model/catalogue.js'
import { ProblemDetailsRef, SHARED_SCHEMAS } from '../model/schemas.js'
import { VALIDATION, entry, validationEntry } from '../model/responses.js'

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
