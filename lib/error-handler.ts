import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { Settings } from './options.js'
import type { ProblemRegistry } from './registry.js'
import { GENERIC_500, sendProblem } from './respond.js'
import { ABOUT_BLANK, type Problem } from './problem.js'

/** The registry of the context that owns the route: child plugins' mappings apply to their routes only. */
export function registryOf (request: FastifyRequest): ProblemRegistry {
  return (request.server as unknown as { problemDetails: ProblemRegistry }).problemDetails
}

/**
 * What a request answers for a thrown value: the registry's match, or for
 * anything unknown (and for a mapper that failed) the generic 500 that carries
 * nothing of the original (RFC 9457 §5).
 */
export function resolveError (error: unknown, request: FastifyRequest, settings: Settings): Problem {
  let problem: Problem | undefined
  try {
    problem = registryOf(request).match(error, request)
  } catch (err) {
    request.log.error({ err }, 'fastify-problem-details: a problem mapping failed; answering 500')
    problem = undefined
  }
  if (problem !== undefined) return problem
  return settings.exposeDetails ? exposed(error) : GENERIC_500
}

/** `exposeDetails`: message, stack and cause chain of an unexpected error, for development. */
function exposed (error: unknown): Problem {
  let detail: string | undefined
  let debug: unknown
  try {
    debug = describe(error, 0)
    detail = error instanceof Error ? error.message : undefined
  } catch {
    debug = { name: 'unknown' }
  }
  return { ...GENERIC_500, type: ABOUT_BLANK, detail, extensions: { debug } }
}

function describe (error: unknown, depth: number): unknown {
  if (!(error instanceof Error)) return { value: typeof error === 'string' ? error : String(typeof error) }
  const out: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack }
  if (error.cause !== undefined && depth < 8) out.cause = describe(error.cause, depth + 1)
  return out
}

/** Builds the one error handler, installed at the context the plugin is registered in. */
export function buildErrorHandler (settings: Settings) {
  return function problemErrorHandler (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
    sendProblem(reply, resolveError(error, request, settings), settings, error)
  }
}
