import type { FastifyInstance, RouteOptions } from 'fastify'
import type { Settings } from './options.js'
import { typeBySchemaId, type ProblemTypeEntry } from '../model/catalogue.js'
import { PROBLEM_DETAILS_ID, VALIDATION_PROBLEM_DETAILS_ID, SHARED_SCHEMAS } from '../model/schemas.js'
import { PROBLEM_MEDIA_TYPE, UNREADABLE, missingStatusHeaders, statusEntry, validationEntry, validationMark, validationOrUnreadableEntry } from '../model/responses.js'
import { reasonPhrase } from '../model/status.js'
import { resolveTypeOrKeep } from '../model/type-uri.js'
import { refId, walkSchema } from '../model/schema-walk.js'
import { documentType, type AppState } from '../mapping/registry.js'

function addMissingSchema (instance: FastifyInstance, schema: { $id?: string }): void {
  if (instance.getSchema(schema.$id as string) === undefined) instance.addSchema(schema)
}

type JsonSchema = Record<string, any>

/** The members this app adds to every problem (`requestIdMember`, `traceIdMember`), documented. */
function appMembers (settings: Settings): JsonSchema {
  const members: JsonSchema = {}
  if (settings.requestIdMember !== false) {
    members[settings.requestIdMember] = { type: 'string', description: 'The id of the request, as the server logged it: quote it when reporting the problem.' }
  }
  if (settings.traceIdMember !== false) {
    members[settings.traceIdMember] = { type: 'string', description: 'The trace id of the request (W3C Trace Context), when it was traced.' }
  }
  return members
}

/** A shared schema as this app documents it: with the members this app adds. */
function appSharedSchema (schema: JsonSchema, settings: Settings): JsonSchema {
  return { ...schema, properties: { ...schema.properties, ...appMembers(settings) } }
}

/**
 * A defined type's schema as this app documents it: `type` pinned (`const`)
 * to the URI this app sends, resolved against its `typeBase`, so that a
 * generated client tells types apart; the members this app adds; the link to
 * the type's catalogue page in the description (a keyword such as
 * `externalDocs` would make Fastify's strict Ajv refuse the schema).
 */
function appTypeSchema (entry: ProblemTypeEntry, settings: Settings): JsonSchema {
  const schema = entry.schema as unknown as JsonSchema
  const uri = settings.typeBase === undefined ? entry.type : resolveTypeOrKeep(entry.type, settings.typeBase)
  // The catalogue serves the types whose URI falls under typeBase.
  const served = settings.typeDocs && settings.typeBase !== undefined && uri.startsWith(settings.typeBase) ? uri : undefined
  const description = (typeof schema.description === 'string' ? schema.description : entry.title) +
    (served === undefined ? '' : ` Documentation: ${served}`)
  const examples = Array.isArray(schema.examples) ? schema.examples.map((e: JsonSchema) => ({ ...e, type: uri })) : undefined
  return {
    ...schema,
    description,
    properties: {
      ...schema.properties,
      type: { type: 'string', format: 'uri-reference', const: uri, description: 'The type URI of this problem type (RFC 9457 §3.1.1).' },
      ...appMembers(settings)
    },
    ...(examples === undefined ? {} : { examples })
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
    const visitor = { ref: (id: string) => { found.add(id) } }
    walkSchema((route.schema as { response?: unknown } | undefined)?.response, visitor, this.#seen)
    const shared = instance.getSchemas() as Record<string, unknown>
    for (const id of Object.keys(shared)) walkSchema(shared[id], visitor, this.#seen)
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

/** Methods whose bodies Fastify never reads: no malformed-body, 413 or 415 problem. */
const BODYLESS = new Set(['GET', 'HEAD'])
const VALIDATED_PARTS = ['body', 'querystring', 'params', 'headers'] as const
const MEDIA_JSON = 'application/json'

/** Whether an `$id` is one of this package's problem schemas: a shared one or a defined type's. */
function isProblemId (id: string): boolean {
  return id === PROBLEM_DETAILS_ID || id === VALIDATION_PROBLEM_DETAILS_ID || typeBySchemaId(id) !== undefined
}

/** Whether a schema is (a `$ref` to, or an `anyOf`/`oneOf` of) one of this package's problem schemas. */
function isProblemSchema (schema: unknown): boolean {
  try {
    return problemSchema(schema)
  } catch {
    // A schema object of another kind, with getters that throw: not ours.
    return false
  }
}

function problemSchema (schema: unknown): boolean {
  if (schema === null || typeof schema !== 'object') return false
  const s = schema as { $ref?: unknown, $id?: unknown, anyOf?: unknown, oneOf?: unknown }
  if (typeof s.$ref === 'string') return isProblemId(refId(s.$ref))
  if (typeof s.$id === 'string') return isProblemId(s.$id)
  const allOf = (s as { allOf?: unknown }).allOf
  // statusSchema(): a problem schema with a narrowed status.
  if (Array.isArray(allOf)) return allOf.length > 0 && problemSchema(allOf[0])
  const list = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined
  return list !== undefined && list.length > 0 && list.every((x) => problemSchema(x))
}

function describe (key: string): string {
  const status = Number(key)
  return Number.isInteger(status) && status >= 400 && status <= 599 ? reasonPhrase(status) : 'A problem details response (RFC 9457)'
}

/**
 * A `schema.response` entry that refers to a problem schema, rewritten to be
 * documented (and serialized) as `application/problem+json`, the media type
 * it is sent with (RFC 9457 §3); `undefined` when there is nothing to rewrite.
 * Covers a bare schema at a status key and a `content` map that files it
 * under `application/json`.
 */
function asProblemJson (key: string, given: unknown): unknown {
  if (given === null || typeof given !== 'object') return undefined
  if (isProblemSchema(given)) {
    const description = (given as { description?: unknown }).description
    return { description: typeof description === 'string' ? description : describe(key), content: { [PROBLEM_MEDIA_TYPE]: { schema: given } } }
  }
  const content = (given as { content?: unknown }).content as Record<string, { schema?: unknown }> | undefined
  if (content === null || typeof content !== 'object' || content[PROBLEM_MEDIA_TYPE] !== undefined) return undefined
  const json = content[MEDIA_JSON]
  if (json === undefined || !isProblemSchema(json.schema)) return undefined
  const moved: Record<string, unknown> = {}
  for (const media of Object.keys(content)) moved[media === MEDIA_JSON ? PROBLEM_MEDIA_TYPE : media] = content[media]
  return Object.assign({}, given, { content: moved })
}

/**
 * A problem entry at 401, 405, 429 or 503 with the response headers that
 * status is sent with (RFC 9110 §11.6.1, §10.2.1, §10.2.3) added where the
 * route's entry does not document them; any other entry as given.
 */
function withHeaders (key: string, entry: unknown): unknown {
  if (entry === null || typeof entry !== 'object') return entry
  const { content, headers } = entry as { content?: Record<string, { schema?: unknown } | undefined>, headers?: unknown }
  if (content === null || typeof content !== 'object' || !isProblemSchema(content[PROBLEM_MEDIA_TYPE]?.schema)) return entry
  const missing = missingStatusHeaders(Number(key), headers)
  if (missing === undefined) return entry
  return Object.assign({}, entry, { headers: Object.assign({}, headers, missing) })
}

/** The methods of a route, upper case. */
function methodsOf (route: RouteOptions): string[] {
  return (Array.isArray(route.method) ? route.method : [route.method]).map((m) => String(m).toUpperCase())
}

/**
 * The route's response schemas as this app answers:
 *
 * - entries that refer to a problem schema are documented as
 *   `application/problem+json`, whatever form the route gives them in;
 * - the validation entry of `problemResponses(ValidationProblem)` moves to
 *   `validationStatus`;
 * - with `openapi.defaultResponses`, what the route can answer and does not
 *   declare: the validation problem where the route validates something, the
 *   unreadable-body 400, 413 and 415 where it reads a body, the 500, and a
 *   success entry where the route declares none (so it keeps its 2xx).
 *
 * The user's schema objects may be shared between routes, so they are copied, not changed.
 */
function shapeResponses (route: RouteOptions, settings: Settings): void {
  const schema = route.schema as (Record<string, unknown> & { hide?: boolean }) | undefined
  let response = schema?.response as Record<string, unknown> | undefined
  let changed = false

  if (response !== undefined && response !== null && typeof response === 'object') {
    for (const key of Object.keys(response)) {
      const given = response[key]
      const rewritten = withHeaders(key, asProblemJson(key, given) ?? given)
      if (rewritten === given) continue
      if (!changed) response = Object.assign({}, response)
      response[key] = rewritten
      changed = true
    }
  }

  // problemResponses(ValidationProblem) at this app's validationStatus: moved
  // to 422 (a plain 400 left only where one was declared), or at 400, where a
  // route that reads a body can also answer the unreadable-body 400.
  const mark = response === undefined ? undefined : validationMark(response[400])
  if (response !== undefined && mark !== undefined) {
    const status = settings.validationStatus
    if (status !== 400 && !has(response, status)) {
      response = Object.assign({}, response)
      delete response[400]
      response[status] = validationEntry(status)
      if (mark.plain) response[400] = statusEntry(400)
      changed = true
    } else if (status === 400 && !mark.plain && methodsOf(route).some((m) => !BODYLESS.has(m))) {
      response = Object.assign({}, response, { 400: validationOrUnreadableEntry() })
      changed = true
    }
  }

  if (settings.openapi.defaultResponses && schema?.hide !== true) {
    const declared = response ?? {}
    const open = (status: number): boolean => !has(declared, status) && !has(declared, status < 500 ? '4xx' : '5xx') &&
      !has(declared, status < 500 ? '4XX' : '5XX') && !has(declared, 'default')
    const validates = schema !== undefined && VALIDATED_PARTS.some((part) => schema[part] !== undefined && schema[part] !== null)
    const readsBody = methodsOf(route).some((m) => !BODYLESS.has(m))
    const added: Record<string, unknown> = {}
    const status = settings.validationStatus
    if (validates && open(status)) {
      added[status] = status === 400 && readsBody ? validationOrUnreadableEntry() : validationEntry(status)
    }
    if (readsBody) {
      if (open(400) && added[400] === undefined) added[400] = statusEntry(400, UNREADABLE)
      if (open(413)) added[413] = statusEntry(413, 'The request body is larger than this endpoint accepts.')
      if (open(415)) added[415] = statusEntry(415, 'The media type of the request body is not supported by this endpoint.')
    }
    if (open(500)) added[500] = statusEntry(500, 'An unexpected error: nothing of it is disclosed (RFC 9457 §5).')
    if (Object.keys(added).length > 0) {
      const success = Object.keys(declared).some((key) => /^(2\d\d|2xx)$/i.test(key))
      // `type: 'null'` makes @fastify/swagger document no body, and the empty
      // `content` makes Fastify compile no serializer: the route's success
      // answer is documented ("Default Response", as @fastify/swagger does for
      // routes without response schemas) and sent as before.
      response = Object.assign(success ? {} : { 200: { description: 'Default Response', type: 'null', content: {} } }, declared, added)
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
  for (const schema of SHARED_SCHEMAS) addMissingSchema(fastify, appSharedSchema(schema as unknown as JsonSchema, settings))
  // Fastify's addSchema also adds to every existing child context, so the
  // registering instance is the one place to add to: the route's context is
  // one of its descendants, and @fastify/swagger finds the schema there.
  state.onDocument = (type: ProblemTypeEntry) => addMissingSchema(fastify, appTypeSchema(type, settings))
  const referenced = new ReferencedTypes(state)
  fastify.addHook('onRoute', function problemSchemas (this: FastifyInstance, route: RouteOptions) {
    referenced.add(route, this)
    shapeResponses(route, settings)
  })
}
