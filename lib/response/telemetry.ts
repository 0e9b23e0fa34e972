import type { OpenTelemetry, SpanLike } from './trace.js'

/**
 * Span attributes for problems (docs/observability.md). OpenTelemetry's
 * semantic conventions have no attributes for problem details, and custom
 * attributes must stay out of the namespaces they own (`http.*`), so the
 * problem's own members get a `problem.` namespace of their own;
 * `http.response.status_code` is the HTTP instrumentation's to set.
 */
export const ATTR_PROBLEM_TYPE = 'problem.type'
export const ATTR_PROBLEM_STATUS = 'problem.status'
/**
 * Semantic conventions (stable): on an HTTP server span a 5xx is an error and
 * `error.type` is "the status code as a string … or a component-specific
 * error identifier": the problem type URI is that identifier, low in
 * cardinality (a catalogue); `about:blank` says nothing, so the status does.
 */
export const ATTR_ERROR_TYPE = 'error.type'

/** What one problem response tells the span. */
export interface SpanProblem {
  readonly status: number
  /** resolved against typeBase */
  readonly type: string
  readonly title: string
  readonly detail: string | undefined
}

function isErrorLike (value: unknown): value is { name?: unknown, message: string } {
  return value !== null && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string'
}

/**
 * Records a problem on the request's span: `problem.type` and
 * `problem.status` always; for a 5xx also `error.type`, an `exception` event
 * (the thrown error, or the problem itself when a reply helper sent it) and
 * status ERROR. A 4xx leaves the status unset: on a server span it is the
 * client's error, not the server's (semantic conventions, HTTP spans).
 * Telemetry never breaks the response: whatever throws here is swallowed.
 */
export function recordOnSpan (otel: OpenTelemetry, span: SpanLike, problem: SpanProblem, error: unknown): void {
  try {
    if (!span.isRecording()) return
    const { status, type } = problem
    span.setAttribute(ATTR_PROBLEM_TYPE, type)
    span.setAttribute(ATTR_PROBLEM_STATUS, status)
    if (status < 500) return
    span.setAttribute(ATTR_ERROR_TYPE, type === 'about:blank' ? String(status) : type)
    let message: string | undefined
    if (isErrorLike(error)) {
      span.recordException(error)
      message = error.message
    } else if (typeof error === 'string') {
      span.recordException(error)
      message = error
    } else {
      // Nothing was thrown (a reply helper, `reply.problem(init)`), or what
      // was thrown is no error (`throw null`): the problem is the exception.
      message = problem.detail ?? problem.title
      span.recordException({ name: 'ProblemError', message })
    }
    // Semantic conventions, recording errors: the description is the
    // exception's message; the span is internal telemetry, as the log is.
    span.setStatus(message === '' ? { code: otel.errorCode } : { code: otel.errorCode, message })
  } catch {
    // A broken tracer or exporter must not cost the client its answer.
  }
}
