import type { FastifyInstance, FastifyReply } from 'fastify'
import type { StatusExtensions } from '../model/classes.js'
import type { Settings } from './options.js'
import { ProblemError, plainProblem, problemFromInit, statusInit, type Problem, type ProblemInit } from '../model/problem.js'
import { STATUS_TABLE } from '../model/status.js'
import { sendProblem } from './send.js'
import { resolveError } from './error-handler.js'
import { shareReplyDecorator, type OwnedDecorators } from './sensible/index.js'

/**
 * `reply.problem()` and one helper per status with @fastify/sensible's names.
 * The helpers send a problem without constructing an `Error`: no stack capture.
 */
export function decorateReply (fastify: FastifyInstance, settings: Settings, owned: OwnedDecorators): void {
  fastify.decorateReply('problem', function problem (this: FastifyReply, value: ProblemInit | ProblemError): FastifyReply {
    // A ProblemError goes through the registry, exactly as if it were thrown.
    if (value instanceof ProblemError) return sendProblem(this, resolveError(value, this.request), settings, value)
    return sendProblem(this, problemFromInit(value), settings)
  })

  for (const { status, helper } of STATUS_TABLE) {
    // Beside @fastify/sensible registered first, its helper keeps the name.
    shareReplyDecorator(fastify, helper, function statusHelper (this: FastifyReply, detail?: string, extensions?: StatusExtensions): FastifyReply {
      let problem: Problem
      if (extensions === undefined) {
        problem = plainProblem(status, typeof detail === 'string' ? detail : undefined)
      } else {
        problem = problemFromInit(statusInit(status, detail, extensions))
      }
      return sendProblem(this, problem, settings)
    }, owned)
  }
}
