import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Settings } from './options.js'
import { plainProblem } from '../model/problem.js'
import { pathOf } from '../response/url.js'
import { sendProblem } from './send.js'

/** The not-found handler: an unknown route is a 404 problem whose instance is the path. */
export function buildNotFoundHandler (settings: Settings) {
  return function problemNotFound (request: FastifyRequest, reply: FastifyReply): void {
    sendProblem(reply, plainProblem(404, `Route ${request.method}:${pathOf(request.url)} not found`), settings)
  }
}
