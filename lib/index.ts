/**
 * The public API: every name here is documented in docs/api.md, and
 * test/exports.test.ts lists them, so nothing joins or leaves by accident.
 */
import type { ExtensionsInit, ProblemError, ProblemInit, ProblemOptions } from './model/problem.js'
import type { ProblemRegistry } from './mapping/registry.js'
import { problemDetails } from './fastify/plugin.js'

// The plugin and its server-option helpers.
export default problemDetails
export { problemDetails }
export { frameworkErrors } from './fastify/framework-errors.js'
export { clientErrors } from './fastify/client-errors.js'
export type { ProblemDetailsOptions, LogLevel, PresetName, Locales, LocalizedText, ProblemObserver } from './fastify/options.js'
export type { ExtendHook } from './response/extend.js'

// Startup errors.
export { OptionError, RegistrationError } from './errors.js'

// Problems: the base class, one class per status, validation, defined types.
export {
  ProblemError,
  type ProblemInit,
  type ProblemOptions,
  type ProblemDocument,
  type ProblemHeaders,
  type Extensions,
  type ExtensionsInit,
  type ReservedMemberName,
  type RetryAfter
} from './model/problem.js'
export {
  BadRequest, Unauthorized, PaymentRequired, Forbidden, NotFound, MethodNotAllowed, NotAcceptable,
  ProxyAuthenticationRequired, RequestTimeout, Conflict, Gone, LengthRequired, PreconditionFailed,
  ContentTooLarge, PayloadTooLarge, URITooLong, UriTooLong, UnsupportedMediaType, RangeNotSatisfiable,
  ExpectationFailed, ImATeapot, MisdirectedRequest, UnprocessableContent, UnprocessableEntity, Locked,
  FailedDependency, TooEarly, UpgradeRequired, PreconditionRequired, TooManyRequests,
  RequestHeaderFieldsTooLarge, UnavailableForLegalReasons, InternalServerError, NotImplemented, BadGateway,
  ServiceUnavailable, GatewayTimeout, HTTPVersionNotSupported, HttpVersionNotSupported,
  VariantAlsoNegotiates, InsufficientStorage, LoopDetected, BandwidthLimitExceeded, NotExtended,
  NetworkAuthenticationRequired,
  type StatusProblemClass
} from './model/classes.js'
export { ValidationProblem, type ValidationErrorEntry } from './model/validation.js'
export {
  defineProblem,
  type ProblemDefinition,
  type DefinedProblem,
  type DefinedProblemClass,
  type DefinedProblemInit,
  type DefinedProblemOptions,
  type DefinedProblemSchema,
  type ExtensionMembers
} from './model/define.js'
export type { ProblemTypeClass, ProblemTypeEntry } from './model/catalogue.js'

// The registry (`fastify.problemDetails`), as a type: apps get theirs from the plugin.
export type { ProblemRegistry, Matcher, Mapper, MapperResult, ErrorClass, ErrorPredicate } from './mapping/registry.js'

// Schemas and OpenAPI.
export {
  ProblemDetails,
  ValidationProblemDetails,
  ProblemDetailsRef,
  ValidationProblemDetailsRef,
  schemaRef
} from './model/schemas.js'
export { problemResponses, refResolver, type ProblemResponse, type ProblemResponseKey, type ProblemResponseOf, type ProblemResponses, type StatusProblemSchema, type ValidationProblemSchema } from './model/responses.js'

// @fastify/sensible's error API in problem form (docs/migration.md#from-fastifysensible).
export { HttpProblem, type HttpErrorName, type HttpErrorStatus, type HttpErrorStatuses } from './fastify/sensible/http-problem.js'
export { httpErrors, type HttpErrors, type GetHttpError, type StatusLike } from './fastify/sensible/http-errors.js'
export type { SensibleErrorApi } from './fastify/sensible/types.js'

// Localization helper for validators' own messages (docs/localization.md).
export { matchLanguage } from './response/locale.js'

// The client side, also at 'fastify-problem-details/client'.
export {
  isProblemDetails,
  parseProblem,
  type ProblemDetailsLike,
  type ProblemHttpResponse,
  type ParseProblemOptions,
  type ByteStreamLike,
  type FetchResponseLike,
  type UndiciResponseLike,
  type InjectResponseLike
} from './client/index.js'

/**
 * A reply helper: `reply.notFound(detail?, extensions?, options?)`. The
 * extension members are only ever emitted as members; the options (`type`,
 * `title`, `instance`, `headers`, `retryAfter`, `cause`) come from the third
 * argument alone.
 */
export type ProblemHelper = (detail?: string, extensions?: ExtensionsInit, options?: ProblemOptions) => import('fastify').FastifyReply

declare module 'fastify' {
  interface FastifyInstance {
    /** The problem registry of this encapsulation context. */
    problemDetails: ProblemRegistry
  }
  interface FastifyReply {
    /** Sends a problem: a `ProblemError` (through the registry, as if thrown) or a problem init. */
    problem(problem: ProblemInit | ProblemError): FastifyReply
    badRequest: ProblemHelper
    unauthorized: ProblemHelper
    paymentRequired: ProblemHelper
    forbidden: ProblemHelper
    notFound: ProblemHelper
    methodNotAllowed: ProblemHelper
    notAcceptable: ProblemHelper
    proxyAuthenticationRequired: ProblemHelper
    requestTimeout: ProblemHelper
    conflict: ProblemHelper
    gone: ProblemHelper
    lengthRequired: ProblemHelper
    preconditionFailed: ProblemHelper
    payloadTooLarge: ProblemHelper
    uriTooLong: ProblemHelper
    unsupportedMediaType: ProblemHelper
    rangeNotSatisfiable: ProblemHelper
    expectationFailed: ProblemHelper
    imateapot: ProblemHelper
    misdirectedRequest: ProblemHelper
    unprocessableEntity: ProblemHelper
    locked: ProblemHelper
    failedDependency: ProblemHelper
    tooEarly: ProblemHelper
    upgradeRequired: ProblemHelper
    preconditionRequired: ProblemHelper
    tooManyRequests: ProblemHelper
    requestHeaderFieldsTooLarge: ProblemHelper
    unavailableForLegalReasons: ProblemHelper
    internalServerError: ProblemHelper
    notImplemented: ProblemHelper
    badGateway: ProblemHelper
    serviceUnavailable: ProblemHelper
    gatewayTimeout: ProblemHelper
    httpVersionNotSupported: ProblemHelper
    variantAlsoNegotiates: ProblemHelper
    insufficientStorage: ProblemHelper
    loopDetected: ProblemHelper
    bandwidthLimitExceeded: ProblemHelper
    notExtended: ProblemHelper
    networkAuthenticationRequired: ProblemHelper
  }
}
