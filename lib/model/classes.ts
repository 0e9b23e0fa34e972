import { ProblemError, statusInit, type ExtensionsInit, type ProblemOptions } from './problem.js'
import { STATUS_TABLE, type StatusEntry } from './status.js'
import { escapePointerToken, pointerFragment } from './pointer.js'

/**
 * A problem class for one HTTP status: `new NotFound(detail?, extensions?, options?)`.
 * The extension members and the options that steer the response never share
 * an argument: request data given as members is only ever emitted as members.
 */
export interface StatusProblemClass {
  new (detail?: string, extensions?: ExtensionsInit, options?: ProblemOptions): ProblemError
  readonly prototype: ProblemError
  /** The HTTP status every instance carries. */
  readonly status: number
  /** The RFC 9110 reason phrase used as title. */
  readonly title: string
}

function statusClass (entry: StatusEntry): StatusProblemClass {
  const { status } = entry
  const StatusProblem = class extends ProblemError {
    static readonly status = status
    static readonly title = entry.title
    constructor (detail?: string, extensions?: ExtensionsInit, options?: ProblemOptions) {
      super(statusInit(status, detail, extensions, options))
    }
  }
  Object.defineProperty(StatusProblem, 'name', { value: entry.className })
  Object.defineProperty(StatusProblem.prototype, 'name', { value: entry.className, writable: true, configurable: true })
  return StatusProblem
}

/** Every status class by status code. */
export const STATUS_CLASSES: ReadonlyMap<number, StatusProblemClass> = new Map(
  STATUS_TABLE.map((entry) => [entry.status, statusClass(entry)])
)

function byStatus (status: number): StatusProblemClass {
  return STATUS_CLASSES.get(status) as StatusProblemClass
}

/** Formats a value for a human-readable detail: strings quoted, the rest as JSON. */
function show (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return value.toString()
  try {
    return String(JSON.stringify(value))
  } catch {
    return '?'
  }
}

export const BadRequest = Object.assign(byStatus(400), {
  /**
   * A 400 about one request field, shaped like a validation problem:
   * `errors: [{ detail, pointer }]`. A bare name points into the body
   * (`'email'` → `#/body/email`); a value starting with `#` is used as the pointer.
   */
  withField (field: string, detail: string): ProblemError {
    const pointer = field.startsWith('#') ? field : pointerFragment('/body/' + escapePointerToken(field))
    return new BadRequest(detail, { errors: [{ detail, pointer }] })
  }
})
export const Unauthorized = byStatus(401)
export const PaymentRequired = byStatus(402)
export const Forbidden = Object.assign(byStatus(403), {
  /** `Forbidden.forAction('Post', 'delete')`: "You are not allowed to delete this Post". */
  forAction (resource: string, action: string): ProblemError {
    return new Forbidden(`You are not allowed to ${action} this ${resource}`, { resource, action })
  }
})
export const NotFound = Object.assign(byStatus(404), {
  /**
   * `NotFound.forResource('User', { id: 1 })`: "User with id 1 was not found",
   * with the members `resource` and `key`. A single value works too: `forResource('User', 1)`.
   */
  forResource (resource: string, key?: unknown): ProblemError {
    if (key === undefined) return new NotFound(`${resource} was not found`, { resource })
    let which: string
    if (key !== null && typeof key === 'object' && !Array.isArray(key)) {
      which = Object.keys(key).map((name) => `${name} ${show((key as Record<string, unknown>)[name])}`).join(', ')
    } else {
      which = show(key)
    }
    return new NotFound(`${resource} with ${which} was not found`, { resource, key })
  }
})
export const MethodNotAllowed = byStatus(405)
export const NotAcceptable = byStatus(406)
export const ProxyAuthenticationRequired = byStatus(407)
export const RequestTimeout = byStatus(408)
export const Conflict = Object.assign(byStatus(409), {
  /**
   * `Conflict.duplicate('email')`: another resource already has this field's value.
   * The value, when given, is named in the detail: it came from the client.
   */
  duplicate (field: string, value?: unknown): ProblemError {
    const detail = value === undefined
      ? `A resource with this ${field} already exists`
      : `A resource with ${field} ${show(value)} already exists`
    return new Conflict(detail, { field })
  }
})
export const Gone = byStatus(410)
export const LengthRequired = byStatus(411)
export const PreconditionFailed = byStatus(412)
export const ContentTooLarge = byStatus(413)
export const PayloadTooLarge = ContentTooLarge
export const URITooLong = byStatus(414)
export const UriTooLong = URITooLong
export const UnsupportedMediaType = byStatus(415)
export const RangeNotSatisfiable = byStatus(416)
export const ExpectationFailed = byStatus(417)
export const ImATeapot = byStatus(418)
export const MisdirectedRequest = byStatus(421)
export const UnprocessableContent = byStatus(422)
export const UnprocessableEntity = UnprocessableContent
export const Locked = byStatus(423)
export const FailedDependency = byStatus(424)
export const TooEarly = byStatus(425)
export const UpgradeRequired = byStatus(426)
export const PreconditionRequired = byStatus(428)
export const TooManyRequests = byStatus(429)
export const RequestHeaderFieldsTooLarge = byStatus(431)
export const UnavailableForLegalReasons = byStatus(451)
export const InternalServerError = byStatus(500)
export const NotImplemented = byStatus(501)
export const BadGateway = byStatus(502)
export const ServiceUnavailable = byStatus(503)
export const GatewayTimeout = byStatus(504)
export const HTTPVersionNotSupported = byStatus(505)
export const HttpVersionNotSupported = HTTPVersionNotSupported
export const VariantAlsoNegotiates = byStatus(506)
export const InsufficientStorage = byStatus(507)
export const LoopDetected = byStatus(508)
export const BandwidthLimitExceeded = byStatus(509)
export const NotExtended = byStatus(510)
export const NetworkAuthenticationRequired = byStatus(511)
