import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { Settings } from './options.js'
import type { ProblemRegistry } from '../mapping/registry.js'
import type { Problem } from '../model/problem.js'
import { sendProblem } from './send.js'

/** The registry of the context that owns the route: child plugins' mappings apply to their routes only. */
export function registryOf (request: FastifyRequest): ProblemRegistry {
  return (request.server as unknown as { problemDetails: ProblemRegistry }).problemDetails
}

/** What a request answers for a thrown value, by the registry of its route's context. */
export function resolveError (error: unknown, request: FastifyRequest): Problem {
  return registryOf(request).resolve(error, request)
}

/** Builds the one error handler, installed at the context the plugin is registered in. */
export function buildErrorHandler (settings: Settings) {
  return function problemErrorHandler (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
    sendProblem(reply, resolveError(error, request), settings, error)
  }
}
