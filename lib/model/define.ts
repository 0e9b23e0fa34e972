import { Type, type Static, type TObject, type TProperties, type TUnsafe } from '@sinclair/typebox'
import { ABOUT_BLANK, ProblemError, headersOf, type Extensions, type MutableProblem, type ProblemHeaders, type ProblemOptions } from './problem.js'
import { MEMBER_NAME, RESERVED_MEMBERS } from './members.js'
import { isErrorStatus, reasonPhrase } from './status.js'
import { PROBLEM_DETAILS_ID, VALIDATION_PROBLEM_DETAILS_ID, schemaRef, standardMembers } from './schemas.js'
import { addProblemType, catalogue, definedType, type ProblemTypeClass } from './catalogue.js'

export type { ProblemTypeClass }
import { RegistrationError } from '../errors.js'

/** What `defineProblem()` takes. */
export interface ProblemDefinition<S extends TObject | undefined = undefined> {
  /** The type URI (RFC 9457 §3.1.1); a relative one (`'out-of-credit'`) resolves against each app's `typeBase`. */
  type: string
  /** The HTTP status every problem of this type is sent with, 400–599. */
  status: number
  /** The one title of this type (RFC 9457 §3.1.3). */
  title: string
  /** A TypeBox object schema of the extension members (RFC 9457 §3.2). */
  extensions?: S
  /** Headers every problem of this type is sent with. */
  headers?: ProblemHeaders
  /** What the type means and what a client can do about it: shown on the catalogue page. */
  description?: string
  /** The schema `$id`; derived from `type` when left out (docs/problem-types.md#schema-ids). */
  schemaId?: string
}

/** The extension members of a definition, as static types. */
export type ExtensionMembers<S> = S extends TObject ? Static<S> : {}

/**
 * The first argument of a defined problem's constructor: the detail and the
 * extension members the schema declares, typed by it. Only declared members
 * are emitted; nothing here is read as an option.
 */
export type DefinedProblemInit<S> = { detail?: string } & ExtensionMembers<S>

/**
 * The second argument of a defined problem's constructor: the options of this
 * occurrence. Type, title and status belong to the definition.
 */
export type DefinedProblemOptions = Pick<ProblemOptions, 'instance' | 'headers' | 'retryAfter' | 'cause'>

/** The constructor's first argument is optional when no extension member is required. */
type InitArgs<I> = {} extends I ? [init?: I, options?: DefinedProblemOptions] : [init: I, options?: DefinedProblemOptions]

type PropertiesOf<S> = S extends TObject<infer P> ? P : {}

/** The TypeBox schema of a defined type's response: the standard members and the extension members. */
export type DefinedProblemSchema<S> = TObject<typeof standardMembers & PropertiesOf<S>>

/** An instance of a defined problem type. */
export type DefinedProblem<S> = ProblemError<ExtensionMembers<S>>

/** The class `defineProblem()` returns. */
export interface DefinedProblemClass<S extends TObject | undefined = undefined, N extends number = number> {
  new (...args: InitArgs<DefinedProblemInit<S>>): DefinedProblem<S>
  readonly prototype: ProblemError
  /** The type URI as defined (relative ones resolve per app). */
  readonly type: string
  /** The status, as a literal type where the definition gives one (`403`), so `problemResponses()` keys its entry by it. */
  readonly status: N
  readonly title: string
  readonly description: string | undefined
  readonly headers: ProblemHeaders | undefined
  /** The extension schema as given. */
  readonly extensions: S
  /** `$id` of `schema`. */
  readonly schemaId: string
  /** The response schema, added to every app with `addSchema`. */
  readonly schema: DefinedProblemSchema<S>
  /** `{ $ref: '<schemaId>#' }`, typed, for route schemas. */
  readonly ref: TUnsafe<Static<DefinedProblemSchema<S>>>
}

// RFC 3986 URI references have no whitespace or control characters; a type
// with them is a typo, not a URI.
// eslint-disable-next-line no-control-regex
const NOT_IN_URI = /[\s\x00-\x1f\x7f]/
// OpenAPI 3 component names (`components.schemas` keys) allow these only.
const SCHEMA_ID = /^[A-Za-z][A-Za-z0-9._-]*$/
const WORDS = /[^A-Za-z0-9]+/
const hasOwn = Object.prototype.hasOwnProperty

/** A defined type's problem while its constructor fills it: members always an object, `message` the detail. */
type MutableDefined = Omit<MutableProblem, 'extensions'> & { extensions: Extensions, message: string }

function fail (type: unknown, message: string): never {
  throw new RegistrationError(`defineProblem(${JSON.stringify(type)}): ${message}`)
}

/**
 * The readable default `$id` of a type: the last segment of its URI in
 * PascalCase, with `Problem` appended (`'out-of-credit'` → `OutOfCreditProblem`),
 * so it reads well under `components.schemas` and rarely meets a user's own
 * schema names.
 */
export function defaultSchemaId (type: string): string | undefined {
  const path = type.split(/[?#]/, 1)[0]
  const segments = path.split(/[/:]/).filter((s) => s !== '')
  const last = segments[segments.length - 1]
  if (last === undefined) return undefined
  const words = last.replace(/\.[A-Za-z0-9]+$/, '').split(WORDS).filter((w) => w !== '')
  if (words.length === 0) return undefined
  let name = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('')
  if (!/^[A-Za-z]/.test(name)) name = 'Type' + name
  return name.endsWith('Problem') ? name : name + 'Problem'
}

/** A value a schema accepts, for examples: its own example, default, const or enum first. */
function sample (schema: unknown, depth = 0): unknown {
  if (schema === null || typeof schema !== 'object' || depth > 4) return null
  const s = schema as Record<string, any>
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0]
  if (s.default !== undefined) return s.default
  if (s.const !== undefined) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  const union = s.anyOf ?? s.oneOf
  if (Array.isArray(union) && union.length > 0) return sample(union[0], depth + 1)
  switch (Array.isArray(s.type) ? s.type[0] : s.type) {
    case 'string': return s.format === 'date-time' ? '2026-01-01T00:00:00Z' : s.format === 'date' ? '2026-01-01' : s.format === 'email' ? 'user@example.com' : s.format === 'uri' ? 'https://example.com/' : s.format === 'uri-reference' ? '/example' : 'string'
    case 'integer': return typeof s.minimum === 'number' ? Math.ceil(s.minimum) : 0
    case 'number': return typeof s.minimum === 'number' ? s.minimum : 0
    case 'boolean': return false
    case 'array': return s.items === undefined ? [] : Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => sample(s.items, depth + 1))
    case 'object': return sampleMembers(s.properties ?? {}, depth + 1)
    default: return null
  }
}

/** Example values of extension members, for the example problem document of a defined type. */
function sampleMembers (properties: TProperties, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of Object.keys(properties)) out[name] = sample(properties[name], depth)
  return out
}

/**
 * RFC 9457 §3.2: extension member names SHOULD start with a letter, consist of
 * ALPHA, DIGIT and "_", and be three characters or longer, so that they are
 * usable in formats other than JSON; Appendix B's XML format additionally makes
 * them XML element names, which may not start with "xml" (XML 1.0 §2.3).
 */
function checkMemberName (type: string, name: string): void {
  if (RESERVED_MEMBERS.has(name)) {
    fail(type, `extension member "${name}" is reserved (a standard member of RFC 9457 §3.1, an option of the constructor, or a prototype name)`)
  }
  if (!MEMBER_NAME.test(name)) {
    fail(type, `extension member "${name}" is not a portable name: RFC 9457 §3.2 advises a letter, then letters, digits or "_", three characters or more`)
  }
  if (name.slice(0, 3).toLowerCase() === 'xml') {
    fail(type, `extension member "${name}" cannot be an XML element name (names starting with "xml" are reserved, RFC 9457 Appendix B)`)
  }
}

function checkDefinition (definition: ProblemDefinition<TObject | undefined>): { extensionProperties: TProperties, schemaId: string } {
  if (definition === null || typeof definition !== 'object') fail(definition, 'takes { type, status, title, extensions?, headers?, description? }')
  const { type, status, title, description, extensions, headers } = definition
  if (typeof type !== 'string' || type === '' || NOT_IN_URI.test(type)) fail(type, 'type must be a URI reference (RFC 9457 §3.1.1), absolute or relative to typeBase')
  if (type === ABOUT_BLANK) fail(type, 'about:blank is the type of plain status problems (RFC 9457 §4.2.1); give the problem type a URI of its own')
  try {
    // eslint-disable-next-line no-new
    new URL(type, 'http://base.invalid/problems/')
  } catch {
    fail(type, 'type must be a URI reference (RFC 9457 §3.1.1)')
  }
  if (!isErrorStatus(status)) fail(type, `status must be an error status, 400–599 (got ${String(status)})`)
  if (typeof title !== 'string' || title.trim() === '') fail(type, 'title must be a non-empty string (RFC 9457 §3.1.3)')
  if (description !== undefined && typeof description !== 'string') fail(type, 'description must be a string')
  if (headers !== undefined && (headers === null || typeof headers !== 'object' || Array.isArray(headers))) {
    fail(type, 'headers must be an object of header values')
  }

  let extensionProperties: TProperties = {}
  if (extensions !== undefined) {
    if (extensions === null || typeof extensions !== 'object' || extensions.type !== 'object' ||
        extensions.properties === null || typeof extensions.properties !== 'object') {
      fail(type, 'extensions must be an object schema, such as Type.Object({ balance: Type.Number() })')
    }
    extensionProperties = extensions.properties
    for (const name of Object.keys(extensionProperties)) checkMemberName(type, name)
  }

  const schemaId = definition.schemaId ?? defaultSchemaId(type)
  if (schemaId === undefined) fail(type, 'no schema $id can be derived from this type; pass schemaId')
  if (typeof schemaId !== 'string' || !SCHEMA_ID.test(schemaId)) {
    fail(type, `schemaId must be a letter, then letters, digits, ".", "_" or "-" (an OpenAPI component name); got ${JSON.stringify(schemaId)}`)
  }
  if (schemaId === PROBLEM_DETAILS_ID || schemaId === VALIDATION_PROBLEM_DETAILS_ID) fail(type, `schemaId "${schemaId}" is the plugin's own; pass another schemaId`)

  // RFC 9457 §3.1.3: a type has one title (and one meaning); two definitions
  // that disagree are a mistake, whichever module loads first.
  const existing = definedType(type)
  if (existing !== undefined && (existing.status !== status || existing.title !== title)) {
    fail(type, `already defined with status ${existing.status} and title ${JSON.stringify(existing.title)}; ` +
      'a problem type has one status and one title (RFC 9457 §3.1.3)')
  }
  for (const entry of catalogue) {
    if (entry.schemaId === schemaId && entry.type !== type) {
      fail(type, `its schema $id "${schemaId}" is already taken by type ${JSON.stringify(entry.type)}; pass schemaId`)
    }
  }
  return { extensionProperties, schemaId }
}

/**
 * Defines a problem type (RFC 9457 §3.1.1, §3.2): a class extending
 * `ProblemError` whose constructor is typed by the extension schema, with a
 * response schema of its own and an entry in the problem-type catalogue.
 *
 * ```ts
 * const OutOfCredit = defineProblem({
 *   type: 'out-of-credit', status: 403, title: 'You do not have enough credit',
 *   extensions: Type.Object({ balance: Type.Number(), accounts: Type.Array(Type.String()) })
 * })
 * throw new OutOfCredit({ detail: 'Your balance is 20, the cost is 30', balance: 20, accounts: ['/a/12345'] })
 * ```
 */
export function defineProblem<S extends TObject | undefined = undefined, N extends number = number> (definition: ProblemDefinition<S> & { status: N }): DefinedProblemClass<S, N> {
  const { extensionProperties, schemaId } = checkDefinition(definition as ProblemDefinition<TObject | undefined>)
  const { type, status, title } = definition
  const description = definition.description
  const headers = definition.headers === undefined ? undefined : Object.freeze({ ...definition.headers })

  const schema = Type.Object({
    ...standardMembers,
    type: Type.String({ format: 'uri-reference', description: `The type URI of this problem type, "${type}" resolved against the API's type base.` }),
    status: Type.Integer({ const: status, description: `Always ${status} (${reasonPhrase(status)}).` }),
    ...extensionProperties
  }, {
    $id: schemaId,
    title,
    description: description ?? title,
    additionalProperties: true,
    examples: [{ type, title, status, detail: `An example of ${JSON.stringify(title)}`, instance: '/example', ...sampleMembers(extensionProperties) }]
  }) as unknown as DefinedProblemSchema<S>

  // The init of the base constructor: status, type and title are fixed per
  // type, so they are frozen once here instead of merged into every init.
  const base = Object.freeze({ status, type, title })
  // The only member names a problem of this type emits (RFC 9457 §3.2: the
  // type defines its members): anything else in an init is dropped.
  const memberNames: readonly string[] = Object.freeze(Object.keys(extensionProperties))

  const Defined = class extends ProblemError {
    static readonly type = type
    static readonly status = status
    static readonly title = title
    static readonly description = description
    static readonly headers = headers
    static readonly extensions = definition.extensions
    static readonly schemaId = schemaId
    static readonly schema = schema
    static readonly ref = schemaRef(schema)

    constructor (init?: DefinedProblemInit<S>, options?: DefinedProblemOptions) {
      // The base init settles status (and so whether a stack is captured) and
      // title; the detail and the declared members are then read from the
      // caller's init, the options from `options` only.
      super(base)
      const self = this as unknown as MutableDefined
      if (init !== undefined && init !== null && typeof init === 'object') {
        const detail = (init as { detail?: unknown }).detail
        if (typeof detail === 'string') {
          self.detail = detail
          self.message = detail
        }
        const members = self.extensions
        for (let i = 0; i < memberNames.length; i++) {
          const name = memberNames[i]
          if (hasOwn.call(init, name)) members[name] = (init as Extensions)[name]
        }
      }
      if (options !== undefined && options !== null && typeof options === 'object') {
        if (typeof options.instance === 'string') self.instance = options.instance
        self.headers = headersOf(options.headers, options.retryAfter)
        if (options.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true })
      }
      if (headers !== undefined) {
        if (self.headers === undefined) {
          self.headers = headers
        } else {
          // The occurrence's own headers (and Retry-After) win over the type's.
          const merged: ProblemHeaders = {}
          for (const name in headers) if (hasOwn.call(headers, name)) merged[name] = headers[name]
          for (const name in self.headers) if (hasOwn.call(self.headers, name)) merged[name] = self.headers[name]
          self.headers = merged
        }
      }
    }
  }
  Object.defineProperty(Defined, 'name', { value: schemaId })
  Object.defineProperty(Defined.prototype, 'name', { value: schemaId, writable: true, configurable: true })

  const problemClass = Defined as unknown as DefinedProblemClass<S, N>
  addProblemType({
    type,
    status,
    title,
    description,
    problemClass: problemClass as unknown as ProblemTypeClass,
    extensions: definition.extensions,
    headers,
    schemaId,
    schema: schema as unknown as TObject
  })
  return problemClass
}
