import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { registrySettings, type ProblemRegistry } from '../mapping/registry.js'
import { resolveError } from './error-handler.js'
import type { Settings } from './options.js'
import { sendLastResort, sendProblem } from './send.js'

/**
 * Fastify's `frameworkErrors` server option, answering problems.
 *
 * Errors raised while routing (a malformed URL, a path parameter over
 * `maxParamLength`, a failing async constraint) happen before any route or
 * plugin is chosen, so Fastify hands them to this server option instead of the
 * error handler. A plugin cannot set a server option: pass it yourself.
 *
 * ```js
 * import problemDetails, { frameworkErrors } from 'fastify-problem-details'
 * const app = Fastify({ frameworkErrors })
 * await app.register(problemDetails)
 * ```
 */
export function frameworkErrors (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const registry = (request.server as unknown as { problemDetails?: ProblemRegistry }).problemDetails
  if (registry === undefined) {
    // The plugin is not registered (yet): still answer, with the generic problem.
    sendLastResort(reply)
    return
  }
  const settings = registrySettings(registry) as Settings
  sendProblem(reply, resolveError(error, request), settings, error)
}
