import type { FastifyRequest } from 'fastify'
import { OptionError } from '../errors.js'
import { MEMBER_NAME, STANDARD_MEMBERS } from '../model/members.js'
import { normalizeTypeBase } from '../model/type-uri.js'
import type { MappingSettings } from '../mapping/registry.js'
import type { PresetName } from '../mapping/presets/index.js'
import { typeCache, type ResponseSettings } from '../response/render.js'
import { acceptCache } from '../response/negotiate.js'
import { Notices, type LogLevel } from '../response/log.js'
import type { ExtendHook } from '../response/extend.js'
import type { OpenTelemetry } from '../response/trace.js'
import { Conformance } from '../response/conformance.js'
import { Localizer, type Locales, type LocalizedText } from '../response/locale.js'

export type { LogLevel, Locales, LocalizedText, PresetName }

export interface ProblemDetailsOptions {
  /** Base URI that relative `type` values resolve against (`'https://api.example.com/problems/'` or `'/problems/'`). */
  typeBase?: string
  /** Serve the problem-type catalogue under the path of `typeBase`. Default `false`. */
  typeDocs?: boolean
  /** Name of the member that carries `request.id`; `false` leaves it out. Default `'requestId'`. */
  requestIdMember?: string | false
  /** `'path'` (request path, no query string), `false`, or a function. Default `'path'`. */
  instance?: 'path' | false | ((request: FastifyRequest) => string | undefined)
  /** Add message, cause chain and stack of unexpected errors to the response (development only). Default `false`. */
  exposeDetails?: boolean
  /** Status of validation problems. Default `400`. */
  validationStatus?: 400 | 422
  /** Opt-in mappings for databases and upstream calls. Default `[]`. */
  presets?: PresetName[]
  /** Translated titles chosen by `Accept-Language`. */
  locales?: Locales
  /** `'fastify'` also emits `statusCode`, `error`, `message` and `code`. Default `false`. */
  compat?: false | 'fastify'
  /** Log level per status (`429`) or class (`'4xx'`, `'5xx'`). Default 5xx `error`, 429 `warn`, 4xx `info`. */
  logLevels?: Partial<Record<number | '4xx' | '5xx', LogLevel>>
  /** `{ defaultResponses: true }` adds 400 and 500 problem responses to every route schema. */
  openapi?: { defaultResponses?: boolean }
  /**
   * Members added to every problem (`timestamp`, a tenant, a support link);
   * `undefined` adds none. Standard members, the status and the members the
   * plugin owns cannot be changed; the problem's own members win.
   */
  extend?: ExtendHook
  /**
   * Called once per problem, after the response is decided, for reporting
   * (Sentry, metrics). `problem` is the body as sent, untranslated; `error` is
   * what was thrown, if anything. Never delays, changes or breaks the response.
   */
  onProblem?: ProblemObserver
  /**
   * Member carrying the trace id of the active OpenTelemetry span, else of a
   * valid W3C `traceparent` header; `false` leaves it out. Default `'traceId'`.
   */
  traceIdMember?: string | false
  /** @fastify/sensible's option: the problem schema is also added under this `$id` (`'HttpError'`). */
  sharedSchemaId?: string
  /**
   * Tell when a route answers a problem its response schemas do not declare:
   * `'warn'` logs once per route, status and type; `'throw'` turns every such
   * answer into a 500 problem and logs why (for test suites); `false` is off.
   * Default `'warn'`, and `false` when `NODE_ENV` is `production`.
   */
  contractCheck?: 'warn' | 'throw' | false
  /**
   * The development-mode conformance checker: one warning per route and
   * problem for what RFC 9457 advises against (extension member names outside
   * §3.2's advice, an `about:blank` title other than the reason phrase, one
   * type sent with two titles). Default: on when `NODE_ENV` is not `production`.
   */
  conformance?: boolean
}

/** The `onProblem` option: a promise it returns is not awaited; a rejection is logged. */
export type ProblemObserver = (problem: Readonly<Record<string, unknown>>, request: FastifyRequest, error: unknown) => unknown

/** What a route declares at one status key (the contract check): any problem, a schema of the user's own, or these types (resolved URIs). */
export type ContractDeclared = 'any' | 'unchecked' | Set<string>

/** Options after validation, with everything the hot path needs precomputed. */
export interface Settings extends MappingSettings, ResponseSettings {
  readonly typeDocs: boolean
  readonly presets: readonly PresetName[]
  readonly locales: Locales | undefined
  readonly openapi: { readonly defaultResponses: boolean }
  readonly onProblem: ProblemObserver | undefined
  readonly contractCheck: 'warn' | 'throw' | false
  /** The contract check's per-route results, keyed by the route's response schemas. */
  readonly contracts: WeakMap<object, Map<string, ContractDeclared>>
  readonly sharedSchemaId: string | undefined
  /** The conformance checker; `undefined` (and so free) when the option is off. */
  readonly conformance: Conformance | undefined
}

const LEVELS = new Set<string>(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
const PRESETS = new Set<string>(['postgres', 'prisma', 'mongodb', 'network'])
const KNOWN = new Set<string>(['typeBase', 'typeDocs', 'requestIdMember', 'instance', 'exposeDetails', 'validationStatus', 'presets', 'locales', 'compat', 'logLevels', 'openapi', 'extend', 'onProblem', 'traceIdMember', 'sharedSchemaId', 'contractCheck', 'conformance'])

/**
 * An option's value, or its default when it is left out. Only `undefined` means
 * "left out": `null` is a wrong value and is reported as one.
 */
function given (value: unknown, fallback: unknown): unknown {
  return value === undefined ? fallback : value
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function normalizeLogLevels (value: unknown): LogLevel[] {
  const byStatus: LogLevel[] = new Array(200)
  const classes: Record<string, LogLevel> = { '4xx': 'info', '5xx': 'error' }
  const exact: Record<number, LogLevel> = { 429: 'warn' }
  if (value !== undefined) {
    if (!isPlainObject(value)) throw new OptionError('logLevels', "an object of levels by status or '4xx'/'5xx'", value)
    for (const key of Object.keys(value)) {
      const level = value[key]
      if (typeof level !== 'string' || !LEVELS.has(level)) {
        throw new OptionError(`logLevels.${key}`, 'one of ' + [...LEVELS].join(', '), level)
      }
      if (key === '4xx' || key === '5xx') {
        classes[key] = level as LogLevel
      } else if (/^[45]\d\d$/.test(key)) {
        exact[Number(key)] = level as LogLevel
      } else {
        throw new OptionError('logLevels', "keyed by a status 400–599, '4xx' or '5xx'", key)
      }
    }
  }
  for (let i = 0; i < 200; i++) {
    const status = 400 + i
    byStatus[i] = exact[status] ?? classes[status < 500 ? '4xx' : '5xx']
  }
  return byStatus
}

function normalizeLocales (value: unknown): Locales | undefined {
  if (value === undefined) return undefined
  if (!isPlainObject(value)) throw new OptionError('locales', 'an object of { [language]: { [statusOrType]: title } }', value)
  const locales: Locales = {}
  for (const language of Object.keys(value)) {
    const titles = value[language]
    if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(language)) throw new OptionError('locales', 'keyed by language tags (BCP 47)', language)
    if (!isPlainObject(titles)) throw new OptionError(`locales.${language}`, 'an object of titles', titles)
    const entries: Record<string, string | LocalizedText> = {}
    for (const key of Object.keys(titles)) {
      const text = titles[key]
      if (typeof text === 'string') {
        entries[key] = text
      } else if (isPlainObject(text) && Object.keys(text).every((k) => (k === 'title' || k === 'detail') && typeof text[k] === 'string')) {
        entries[key] = { title: text.title as string | undefined, detail: text.detail as string | undefined }
      } else {
        throw new OptionError(`locales.${language}.${key}`, 'a title, or { title?, detail? } with string values', text)
      }
    }
    locales[language.toLowerCase()] = entries
  }
  return locales
}

/** Validates the plugin options and precomputes what requests need; throws `OptionError`. */
export function normalizeOptions (options: unknown, otel?: OpenTelemetry): Settings {
  const opts: Record<string, unknown> = options === undefined ? {} : (options as Record<string, unknown>)
  if (!isPlainObject(opts)) throw new OptionError('options', 'an object', options)
  for (const key of Object.keys(opts)) {
    // Fastify passes its own register options (prefix, logLevel, …) along.
    if (!KNOWN.has(key) && !['prefix', 'logLevel', 'logSerializers'].includes(key)) {
      throw new OptionError(key, 'a known option (' + [...KNOWN].join(', ') + ')', 'an unknown option')
    }
  }

  const requestIdMember = given(opts.requestIdMember, 'requestId')
  if (requestIdMember !== false && (typeof requestIdMember !== 'string' || !MEMBER_NAME.test(requestIdMember) || STANDARD_MEMBERS.has(requestIdMember))) {
    throw new OptionError('requestIdMember', 'false or a member name (a letter, then letters, digits or _; three or more; not a standard member)', requestIdMember)
  }

  // An app that named its request-id member `traceId` (before this option
  // existed) keeps it: the default trace-id member then steps aside.
  const traceIdMember = given(opts.traceIdMember, requestIdMember === 'traceId' ? false : 'traceId')
  if (traceIdMember !== false && (typeof traceIdMember !== 'string' || !MEMBER_NAME.test(traceIdMember) || STANDARD_MEMBERS.has(traceIdMember) || traceIdMember === requestIdMember)) {
    throw new OptionError('traceIdMember', 'false or a member name (a letter, then letters, digits or _; three or more; not a standard member nor the requestIdMember)', traceIdMember)
  }

  for (const hook of ['extend', 'onProblem'] as const) {
    if (opts[hook] !== undefined && typeof opts[hook] !== 'function') throw new OptionError(hook, 'a function', opts[hook])
  }

  const instance = given(opts.instance, 'path')
  if (instance !== 'path' && instance !== false && typeof instance !== 'function') {
    throw new OptionError('instance', "'path', false or a function (request) => string", instance)
  }

  const validationStatus = given(opts.validationStatus, 400)
  if (validationStatus !== 400 && validationStatus !== 422) throw new OptionError('validationStatus', '400 or 422', validationStatus)

  const presets = given(opts.presets, [])
  if (!Array.isArray(presets) || presets.some((p) => typeof p !== 'string' || !PRESETS.has(p))) {
    throw new OptionError('presets', 'an array of ' + [...PRESETS].map((p) => `'${p}'`).join(', '), presets)
  }

  const compat = given(opts.compat, false)
  if (compat !== false && compat !== 'fastify') throw new OptionError('compat', "false or 'fastify'", compat)

  for (const flag of ['typeDocs', 'exposeDetails', 'conformance'] as const) {
    if (opts[flag] !== undefined && typeof opts[flag] !== 'boolean') throw new OptionError(flag, 'a boolean', opts[flag])
  }

  const openapi = given(opts.openapi, {})
  if (!isPlainObject(openapi) || (openapi.defaultResponses !== undefined && typeof openapi.defaultResponses !== 'boolean')) {
    throw new OptionError('openapi', '{ defaultResponses?: boolean }', openapi)
  }

  const typeBase = normalizeTypeBase(opts.typeBase)
  if (opts.typeDocs === true && typeBase === undefined) {
    throw new OptionError('typeDocs', 'used together with typeBase (the catalogue is served under its path)', true)
  }

  const locales = normalizeLocales(opts.locales)

  const development = process.env.NODE_ENV !== 'production'
  const contractCheck = given(opts.contractCheck, development ? 'warn' : false)
  if (contractCheck !== 'warn' && contractCheck !== 'throw' && contractCheck !== false) {
    throw new OptionError('contractCheck', "'warn', 'throw' or false", contractCheck)
  }

  const sharedSchemaId = opts.sharedSchemaId
  if (sharedSchemaId !== undefined && (typeof sharedSchemaId !== 'string' || sharedSchemaId === '' || sharedSchemaId === 'ProblemDetails' || sharedSchemaId === 'ValidationProblemDetails')) {
    throw new OptionError('sharedSchemaId', "a schema $id other than the plugin's own (ProblemDetails, ValidationProblemDetails)", sharedSchemaId)
  }

  return {
    typeBase,
    typeDocs: opts.typeDocs === true,
    requestIdMember: requestIdMember as string | false,
    instance: instance as Settings['instance'],
    exposeDetails: opts.exposeDetails === true,
    validationStatus,
    presets: Object.freeze([...new Set(presets as PresetName[])]),
    locales,
    localizer: locales === undefined ? undefined : new Localizer(locales, typeBase),
    compat,
    logLevels: Object.freeze(normalizeLogLevels(opts.logLevels)),
    openapi: Object.freeze({ defaultResponses: (openapi as { defaultResponses?: boolean }).defaultResponses === true }),
    sharedSchemaId,
    typeCache: typeCache(),
    acceptCache: acceptCache(),
    traceIdMember: traceIdMember as string | false,
    otel,
    extend: opts.extend as ExtendHook | undefined,
    onProblem: opts.onProblem as ProblemObserver | undefined,
    // Read at registration: the warnings are for development only.
    development,
    contractCheck,
    contracts: new WeakMap(),
    notices: new Notices(),
    // Decided at registration: in production the checker does not exist.
    conformance: given(opts.conformance, development) === true ? new Conformance() : undefined
  }
}
