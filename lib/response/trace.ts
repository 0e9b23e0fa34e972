/**
 * Trace ids for problems: from the active OpenTelemetry span when
 * `@opentelemetry/api` is installed (an optional peer dependency, loaded once
 * at registration, never required), else from a valid W3C `traceparent`.
 */

/** The span context of `@opentelemetry/api` (the members this plugin reads). */
export interface SpanContextLike {
  readonly traceId: string
  readonly spanId: string
}

/** A span of `@opentelemetry/api` (the methods this plugin calls). */
export interface SpanLike {
  spanContext (): SpanContextLike
  isRecording (): boolean
  setAttribute (key: string, value: string | number): unknown
  setStatus (status: { code: number, message?: string }): unknown
  recordException (exception: unknown): unknown
}

/** `trace` of `@opentelemetry/api`, as far as this plugin uses it. */
export interface TraceApi {
  getActiveSpan (): SpanLike | undefined
  isSpanContextValid (context: SpanContextLike): boolean
}

/** What `@opentelemetry/api` gives this plugin: the trace API and `SpanStatusCode.ERROR`. */
export interface OpenTelemetry {
  readonly trace: TraceApi
  readonly errorCode: number
}

// A variable, so the compiler neither resolves nor types the optional module:
// declarations that mention its types would break apps that do not install it.
const OTEL_API = '@opentelemetry/api'

/**
 * `@opentelemetry/api` when the app has it, else `undefined`. Called once per
 * plugin registration; Node caches the module, and the answer is kept in the
 * app's settings, never at module level.
 */
export async function loadOpenTelemetry (specifier: string = OTEL_API): Promise<OpenTelemetry | undefined> {
  let api: { trace?: Partial<TraceApi>, SpanStatusCode?: { ERROR?: unknown } }
  try {
    api = await import(specifier)
  } catch {
    return undefined
  }
  const trace = api.trace
  if (typeof trace?.getActiveSpan !== 'function' || typeof trace.isSpanContextValid !== 'function') return undefined
  const errorCode = api.SpanStatusCode?.ERROR
  return { trace: trace as TraceApi, errorCode: typeof errorCode === 'number' ? errorCode : 2 }
}

/** The active span when it is a real one (a valid span context), else `undefined`; never throws. */
export function activeSpan (otel: OpenTelemetry | undefined): SpanLike | undefined {
  if (otel === undefined) return undefined
  try {
    const span = otel.trace.getActiveSpan()
    return span !== undefined && otel.trace.isSpanContextValid(span.spanContext()) ? span : undefined
  } catch {
    return undefined
  }
}

// W3C Trace Context level 1 §3.2.2: version 00 is exactly
// "00-" 32 hex "-" 16 hex "-" 2 hex, lowercase only.
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/
const ZERO_TRACE_ID = '00000000000000000000000000000000'
const ZERO_PARENT_ID = '0000000000000000'

/**
 * The trace id of a `traceparent` header value (W3C Trace Context level 1):
 * version `00`, a trace id of 32 lowercase hex digits that are not all zeros,
 * a parent id of 16 lowercase hex digits not all zeros, two hex flag digits.
 * Anything else, a repeated header (joined with commas) included, is ignored.
 */
export function traceIdFromTraceparent (value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length !== 55 || !TRACEPARENT.test(value)) return undefined
  const traceId = value.slice(3, 35)
  if (traceId === ZERO_TRACE_ID || value.slice(36, 52) === ZERO_PARENT_ID) return undefined
  return traceId
}

/**
 * The trace id of a request: the active span's when there is one, else the
 * `traceparent` header's, else `undefined`.
 */
export function traceIdOf (otel: OpenTelemetry | undefined, traceparent: unknown): string | undefined {
  const span = activeSpan(otel)
  if (span !== undefined) return span.spanContext().traceId
  return traceIdFromTraceparent(traceparent)
}
