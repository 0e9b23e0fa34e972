import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Settings } from './options.js'
import { ProblemError, plainProblem, problemFromInit, statusInit, type ExtensionsInit, type Problem, type ProblemInit, type ProblemOptions } from '../model/problem.js'
import { STATUS_TABLE } from '../model/status.js'
import { sendProblem } from './send.js'
import { resolveError } from './error-handler.js'
import { shareReplyDecorator, type OwnedDecorators } from './sensible/index.js'

/**
 * `reply.problem()` and one helper per status with @fastify/sensible's names.
 * The helpers send a problem without constructing an `Error`: no stack capture.
 * A helper's extension members are only ever emitted as members; the options
 * that steer the response come from its third argument alone.
 */
export function decorateReply (fastify: FastifyInstance, settings: Settings, owned: OwnedDecorators): void {
  fastify.decorateReply('problem', function problem (this: FastifyReply, value: ProblemInit | ProblemError): FastifyReply {
    // A ProblemError goes through the registry, exactly as if it were thrown.
    if (value instanceof ProblemError) return sendProblem(this, resolveError(value, this.request), settings, value)
    return sendProblem(this, problemFromInit(value), settings)
  })

  for (const { status, helper } of STATUS_TABLE) {
    // Beside @fastify/sensible registered first, its helper keeps the name.
    shareReplyDecorator(fastify, helper, function statusHelper (this: FastifyReply, detail?: string, extensions?: ExtensionsInit, options?: ProblemOptions): FastifyReply {
      let problem: Problem
      if (options === undefined) {
        // The common path: the members object is used as it is, not copied;
        // the serializers emit its own keys and skip the reserved names, so
        // nothing in it can reach the status, the standard members or a header.
        problem = plainProblem(status, typeof detail === 'string' ? detail : undefined,
          extensions !== null && typeof extensions === 'object' ? extensions : undefined)
      } else {
        problem = problemFromInit(statusInit(status, detail, extensions, options))
      }
      return sendProblem(this, problem, settings)
    }, owned)
  }
}
