import type { FastifyRequest } from 'fastify'
import type { Rendering } from './serialize.js'
import { pathOf } from './url.js'
import { describe } from '../mapping/unexpected.js'
import { isLoggedWithError } from '../mapping/log-marks.js'
import { BoundedCache } from '../bounded-cache.js'

/** A pino level name, or `'silent'` to not log. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/**
 * One log line per problem, through the request's logger (so it carries the
 * request id): 5xx at `error` with the error and its stack, 429 at `warn`,
 * other 4xx at `info`, as configured by `logLevels`.
 */
export function logProblem (request: FastifyRequest, rendering: Rendering, error: unknown, logLevels: readonly LogLevel[], failure?: unknown): void {
  const status = rendering.status
  const level = logLevels[status - 400]
  if (level === 'silent') return
  const log = request.log
  const method = request.method
  const path = pathOf(request.url)
  const traceId = rendering.traceId
  try {
    let line: Record<string, unknown>
    if (failure !== undefined) {
      line = { err: error, mapperError: describeFailure(failure), status, type: rendering.type, method, path }
    } else if (error !== undefined && (status >= 500 || isLoggedWithError(error))) {
      line = { err: error, status, type: rendering.type, method, path }
    } else {
      line = { status, type: rendering.type, method, path, detail: rendering.detail }
    }
    if (traceId !== undefined) line.traceId = traceId
    log[level](line, rendering.title)
  } catch {
    // The error defeated the log serializer (a throwing getter, a hostile Proxy):
    // log what is known without it.
    log[level]({ status, type: rendering.type, method, path, traceId, err: 'unserializable error' }, rendering.title)
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

/** Notices are told apart by this much of their key; the bound cache keeps each small. */
const NOTICE_KEY_LENGTH = 512

/**
 * What this app has logged once already: development warnings, and failures
 * of the `extend` and `onProblem` options by cause, so a hook that fails on
 * every request logs one line, not one per request. Per app, bounded like
 * every cache (100 notices, 64 KiB): a cause may be logged again after 100 others.
 */
export class Notices {
  readonly #seen = new BoundedCache<true>(100, 64 * 1024, 2 * 1024)

  /** True the first time `key` is seen. */
  first (key: string): boolean {
    if (key.length > NOTICE_KEY_LENGTH) key = key.slice(0, NOTICE_KEY_LENGTH)
    if (this.#seen.get(key) === true) return false
    this.#seen.set(key, true)
    return true
  }
}

/** A thrown value's identity for `Notices`: its class and message. */
function causeOf (err: unknown): string {
  try {
    if (err !== null && typeof err === 'object') {
      const { name, message } = err as { name?: unknown, message?: unknown }
      return String(name) + ': ' + String(message).slice(0, 200)
    }
    return typeof err + ': ' + String(err).slice(0, 200)
  } catch {
    return 'unreadable'
  }
}

/** Logs a failure of user code the plugin calls (`extend`, `onProblem`) once per cause. */
export function logFailureOnce (request: FastifyRequest, notices: Notices, hook: string, level: 'warn' | 'error', err: unknown, message: string): void {
  if (notices.first(hook + '\0' + causeOf(err))) logFailure(request, level, err, message)
}
