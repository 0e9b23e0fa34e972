import { STATUS_CODES } from 'node:http'
import { ProblemError, membersOf, type Extensions, type ProblemHeaders } from '../../model/problem.js'
import { STATUS_TABLE, isErrorStatus, reasonPhrase } from '../../model/status.js'
import { publicMessage } from '../../mapping/error-status.js'

/** The status of each @fastify/sensible `httpErrors` name (http-errors' constructors, camel-cased). */
export interface HttpErrorStatuses {
  badRequest: 400
  unauthorized: 401
  paymentRequired: 402
  forbidden: 403
  notFound: 404
  methodNotAllowed: 405
  notAcceptable: 406
  proxyAuthenticationRequired: 407
  requestTimeout: 408
  conflict: 409
  gone: 410
  lengthRequired: 411
  preconditionFailed: 412
  payloadTooLarge: 413
  uriTooLong: 414
  unsupportedMediaType: 415
  rangeNotSatisfiable: 416
  expectationFailed: 417
  imateapot: 418
  misdirectedRequest: 421
  unprocessableEntity: 422
  locked: 423
  failedDependency: 424
  tooEarly: 425
  upgradeRequired: 426
  preconditionRequired: 428
  tooManyRequests: 429
  requestHeaderFieldsTooLarge: 431
  unavailableForLegalReasons: 451
  internalServerError: 500
  notImplemented: 501
  badGateway: 502
  serviceUnavailable: 503
  gatewayTimeout: 504
  httpVersionNotSupported: 505
  variantAlsoNegotiates: 506
  insufficientStorage: 507
  loopDetected: 508
  bandwidthLimitExceeded: 509
  notExtended: 510
  networkAuthenticationRequired: 511
}

/** One of @fastify/sensible's error names: `notFound`, `conflict`, … */
export type HttpErrorName = keyof HttpErrorStatuses
/** A status @fastify/sensible has a name for. */
export type HttpErrorStatus = HttpErrorStatuses[HttpErrorName]

/** http-errors' class names (`NotFoundError`, `InternalServerError`) by status, for `name`. */
const NAMES = new Map<number, string>(STATUS_TABLE.map((e) => [e.status, e.className.endsWith('Error') ? e.className : e.className + 'Error']))

/**
 * The message http-errors gives an error without one: Node's status phrase
 * (`Payload Too Large`), which is what Fastify and @fastify/sensible send.
 */
export function defaultMessage (status: number): string {
  return STATUS_CODES[status] ?? (status < 500 ? 'Bad Request' : 'Internal Server Error')
}

/**
 * A problem shaped like an http-errors `HttpError`, as @fastify/sensible's
 * `httpErrors.*()`, `createError()`, `getHttpError()` and `assert()` give back:
 * `status`, `statusCode`, `expose`, `message` and `headers` can be changed
 * before it is thrown, as sensible users change their errors, and the
 * response follows them. The `detail` is the message where http-errors would
 * expose it (`expose`, true for 4xx), so a 5xx message stays private unless
 * `expose` is set. 4xx instances capture no stack (a ProblemError rule).
 */
export class HttpProblem<S extends number = number> extends ProblemError {
  declare status: S
  declare headers: ProblemHeaders | undefined
  /** http-errors' flag: whether `message` is meant for the client (4xx by default). */
  expose: boolean

  constructor (status: S, message?: string, members?: object, cause?: unknown) {
    const code = (isErrorStatus(status) ? status : 500) as S
    super(cause === undefined ? { status: code } : { status: code, cause })
    this.message = typeof message === 'string' ? message : defaultMessage(code)
    this.name = NAMES.get(code) ?? (code < 500 ? 'BadRequestError' : 'InternalServerError')
    this.expose = code < 500
    ;(this as { extensions: Extensions }).extensions = membersOf(members) ?? {}
  }

  /** http-errors' alias of `status`; setting it to an error status changes the status. */
  override get statusCode (): S {
    return this.status
  }

  override set statusCode (value: number) {
    if (isErrorStatus(value)) this.status = value as S
  }
}

// Accessors rather than fields (ProblemError declares them as fields): they
// follow what the caller last set, `status`, `message` and `expose`.
Object.defineProperties(HttpProblem.prototype, {
  // The title of a plain status problem follows the status (RFC 9457 §4.2.1);
  // a title set by hand becomes the instance's own.
  title: {
    get (this: HttpProblem): string {
      return reasonPhrase(this.status)
    },
    set (this: HttpProblem, value: unknown) {
      if (typeof value === 'string' && value !== reasonPhrase(this.status)) Object.defineProperty(this, 'title', { value, writable: true, enumerable: true, configurable: true })
    },
    configurable: true
  },
  detail: {
    get (this: HttpProblem): string | undefined {
      // The rule the built-in mapping applies to http-errors' errors, so ours
      // and @fastify/sensible's answer alike.
      return publicMessage(this, this.status)
    },
    set (this: HttpProblem, value: unknown) {
      if (typeof value === 'string') this.message = value
    },
    configurable: true
  }
})
