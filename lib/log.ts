import type { FastifyRequest } from 'fastify'
import type { Settings } from './options.js'
import type { Rendering } from './serialize.js'
import { pathOf } from './url.js'

/**
 * One log line per problem, through the request's logger (so it carries the
 * request id): 5xx at `error` with the error and its stack, 429 at `warn`,
 * other 4xx at `info`, as configured by `logLevels`.
 */
export function logProblem (request: FastifyRequest, rendering: Rendering, error: unknown, settings: Settings): void {
  const status = rendering.status
  const level = settings.logLevels[status - 400]
  if (level === 'silent') return
  const log = request.log
  const method = request.method
  const path = pathOf(request.url)
  try {
    if (status >= 500 && error !== undefined) {
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
