import type { FastifyRequest } from 'fastify'
import type { Settings } from './options.js'
import type { Rendering } from './serialize.js'
import { pathOf } from './url.js'
import { describe } from './unexpected.js'

/**
 * Errors whose 4xx answer is logged with the error itself: the preset mappings
 * mark the driver errors they turn into a 4xx (a unique violation, a bad
 * value), so the log keeps what the response must not carry (docs/presets.md).
 */
const withError = new WeakSet<object>()

/** Marks `error` to be logged in full even when its answer is a 4xx. */
export function logWithError (error: object): void {
  withError.add(error)
}

/**
 * One log line per problem, through the request's logger (so it carries the
 * request id): 5xx at `error` with the error and its stack, 429 at `warn`,
 * other 4xx at `info`, as configured by `logLevels`.
 */
export function logProblem (request: FastifyRequest, rendering: Rendering, error: unknown, settings: Settings, failure?: unknown): void {
  const status = rendering.status
  const level = settings.logLevels[status - 400]
  if (level === 'silent') return
  const log = request.log
  const method = request.method
  const path = pathOf(request.url)
  try {
    if (failure !== undefined) {
      log[level]({ err: error, mapperError: describeFailure(failure), status, type: rendering.type, method, path }, rendering.title)
    } else if (error !== undefined && (status >= 500 || withError.has(error as object))) {
      log[level]({ err: error, status, type: rendering.type, method, path }, rendering.title)
    } else {
      log[level]({ status, type: rendering.type, method, path, detail: rendering.detail }, rendering.title)
    }
  } catch {
    // The error defeated the log serializer (a throwing getter, a hostile Proxy):
    // log what is known without it.
    log[level]({ status, type: rendering.type, method, path, err: 'unserializable error' }, rendering.title)
  }
}

/** A failing mapper's error as plain data; rare path, so no serializer setup is needed. */
function describeFailure (failure: unknown): unknown {
  try {
    return describe(failure)
  } catch {
    return 'unserializable error'
  }
}

/**
 * Logs a failure inside the plugin (a mapper or the `instance` option threw)
 * with what was thrown. That is user code's value: when it defeats pino's
 * serializer (a throwing getter, a revoked Proxy), the line is written without
 * it, so logging can never turn an answered error into a crash of the handler.
 */
export function logFailure (request: FastifyRequest, level: 'warn' | 'error', err: unknown, message: string): void {
  try {
    request.log[level]({ err }, message)
  } catch {
    request.log[level]({ err: 'unserializable error' }, message)
  }
}
