import type { ProblemError, ProblemInit } from './problem.js'
import type { StatusExtensions } from './classes.js'
import type { ProblemRegistry } from './registry.js'
import { problemDetails } from './plugin.js'

export default problemDetails
export { problemDetails, RegistrationError } from './plugin.js'
export { frameworkErrors } from './framework-errors.js'
export {
  ProblemError,
  ABOUT_BLANK,
  type Problem,
  type ProblemInit,
  type ProblemOptions,
  type ProblemDocument,
  type ProblemHeaders,
  type Extensions,
  type RetryAfter
} from './problem.js'
export * from './classes.js'
export { ValidationProblem, type ValidationErrorEntry } from './validation.js'
export { ProblemRegistry, type Matcher, type Mapper, type MapperResult, type ErrorClass, type ErrorPredicate } from './registry.js'
export { OptionError, type ProblemDetailsOptions, type LogLevel, type PresetName, type Locales, type LocalizedText } from './options.js'
export { STATUS_TABLE, reasonPhrase, type StatusEntry } from './status.js'
export { catalogue, findProblemType, type ProblemTypeEntry } from './catalogue.js'
export { isProblemDetails, parseProblem, type ProblemDetailsLike, type ProblemHttpResponse, type ParseProblemOptions, type FetchResponseLike, type UndiciResponseLike, type InjectResponseLike } from './client.js'
export { matchLanguage } from './locale.js'
export {
  defineProblem,
  type ProblemDefinition,
  type DefinedProblem,
  type DefinedProblemClass,
  type ProblemTypeClass,
  type DefinedProblemInit,
  type DefinedProblemSchema,
  type ExtensionMembers
} from './define.js'
export {
  ProblemDetails,
  ValidationProblemDetails,
  ValidationError,
  ProblemDetailsRef,
  ValidationProblemDetailsRef,
  schemaRef,
  PROBLEM_DETAILS_ID,
  VALIDATION_PROBLEM_DETAILS_ID
} from './schemas.js'
export { problemResponses, refResolver, PROBLEM_MEDIA_TYPE, type ProblemResponse, type ProblemResponseKey } from './openapi.js'

/** A reply helper: `reply.notFound(detail?, extensions?)`. */
export type ProblemHelper = (detail?: string, extensions?: StatusExtensions) => import('fastify').FastifyReply

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
