/**
 * The one status table. Every problem class, reply decorator and default title
 * is derived from it.
 *
 * Titles are the RFC 9110 §15 reason phrases; codes that RFC 9110 does not
 * define (or marks unused, like 418) take Node's `http.STATUS_CODES` phrase.
 * RFC 9457 §4.2.1: for `about:blank` the title SHOULD be the status phrase.
 */
export interface StatusEntry {
  readonly status: number
  readonly title: string
  /** exported class name */
  readonly className: string
  /** @fastify/sensible's reply helper name */
  readonly helper: string
  /** extra export names (sensible's and RFC 7231's older class names) */
  readonly aliases: readonly string[]
}

function entry (status: number, title: string, className: string, helper: string, ...aliases: string[]): StatusEntry {
  return Object.freeze({ status, title, className, helper, aliases: Object.freeze(aliases) })
}

export const STATUS_TABLE: readonly StatusEntry[] = Object.freeze([
  entry(400, 'Bad Request', 'BadRequest', 'badRequest'),
  entry(401, 'Unauthorized', 'Unauthorized', 'unauthorized'),
  entry(402, 'Payment Required', 'PaymentRequired', 'paymentRequired'),
  entry(403, 'Forbidden', 'Forbidden', 'forbidden'),
  entry(404, 'Not Found', 'NotFound', 'notFound'),
  entry(405, 'Method Not Allowed', 'MethodNotAllowed', 'methodNotAllowed'),
  entry(406, 'Not Acceptable', 'NotAcceptable', 'notAcceptable'),
  entry(407, 'Proxy Authentication Required', 'ProxyAuthenticationRequired', 'proxyAuthenticationRequired'),
  entry(408, 'Request Timeout', 'RequestTimeout', 'requestTimeout'),
  entry(409, 'Conflict', 'Conflict', 'conflict'),
  entry(410, 'Gone', 'Gone', 'gone'),
  entry(411, 'Length Required', 'LengthRequired', 'lengthRequired'),
  entry(412, 'Precondition Failed', 'PreconditionFailed', 'preconditionFailed'),
  entry(413, 'Content Too Large', 'ContentTooLarge', 'payloadTooLarge', 'PayloadTooLarge'),
  entry(414, 'URI Too Long', 'URITooLong', 'uriTooLong', 'UriTooLong'),
  entry(415, 'Unsupported Media Type', 'UnsupportedMediaType', 'unsupportedMediaType'),
  entry(416, 'Range Not Satisfiable', 'RangeNotSatisfiable', 'rangeNotSatisfiable'),
  entry(417, 'Expectation Failed', 'ExpectationFailed', 'expectationFailed'),
  entry(418, "I'm a Teapot", 'ImATeapot', 'imateapot'),
  entry(421, 'Misdirected Request', 'MisdirectedRequest', 'misdirectedRequest'),
  entry(422, 'Unprocessable Content', 'UnprocessableContent', 'unprocessableEntity', 'UnprocessableEntity'),
  entry(423, 'Locked', 'Locked', 'locked'),
  entry(424, 'Failed Dependency', 'FailedDependency', 'failedDependency'),
  entry(425, 'Too Early', 'TooEarly', 'tooEarly'),
  entry(426, 'Upgrade Required', 'UpgradeRequired', 'upgradeRequired'),
  entry(428, 'Precondition Required', 'PreconditionRequired', 'preconditionRequired'),
  entry(429, 'Too Many Requests', 'TooManyRequests', 'tooManyRequests'),
  entry(431, 'Request Header Fields Too Large', 'RequestHeaderFieldsTooLarge', 'requestHeaderFieldsTooLarge'),
  entry(451, 'Unavailable For Legal Reasons', 'UnavailableForLegalReasons', 'unavailableForLegalReasons'),
  entry(500, 'Internal Server Error', 'InternalServerError', 'internalServerError'),
  entry(501, 'Not Implemented', 'NotImplemented', 'notImplemented'),
  entry(502, 'Bad Gateway', 'BadGateway', 'badGateway'),
  entry(503, 'Service Unavailable', 'ServiceUnavailable', 'serviceUnavailable'),
  entry(504, 'Gateway Timeout', 'GatewayTimeout', 'gatewayTimeout'),
  entry(505, 'HTTP Version Not Supported', 'HTTPVersionNotSupported', 'httpVersionNotSupported', 'HttpVersionNotSupported'),
  entry(506, 'Variant Also Negotiates', 'VariantAlsoNegotiates', 'variantAlsoNegotiates'),
  entry(507, 'Insufficient Storage', 'InsufficientStorage', 'insufficientStorage'),
  entry(508, 'Loop Detected', 'LoopDetected', 'loopDetected'),
  entry(509, 'Bandwidth Limit Exceeded', 'BandwidthLimitExceeded', 'bandwidthLimitExceeded'),
  entry(510, 'Not Extended', 'NotExtended', 'notExtended'),
  entry(511, 'Network Authentication Required', 'NetworkAuthenticationRequired', 'networkAuthenticationRequired')
])

/** Titles indexed by `status - 400`, for O(1) lookups on the hot path. */
const TITLES: string[] = new Array(200)
for (const e of STATUS_TABLE) TITLES[e.status - 400] = e.title

/** True for an integer in 400..599: the only statuses a problem may carry. */
export function isErrorStatus (value: unknown): value is number {
  return typeof value === 'number' && value >= 400 && value <= 599 && (value | 0) === value
}

/**
 * The reason phrase of an error status. Unlisted codes in a class fall back to
 * the class's generic phrase (RFC 9110 §15: a client treats an unknown code as x00).
 */
export function reasonPhrase (status: number): string {
  return TITLES[status - 400] ?? (status < 500 ? 'Bad Request' : 'Internal Server Error')
}
