import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Settings } from './options.js'
import { ABOUT_BLANK } from './problem.js'
import { sendProblem } from './respond.js'
import { pathOf } from './url.js'

/** The not-found handler: an unknown route is a 404 problem whose instance is the path. */
export function buildNotFoundHandler (settings: Settings) {
  return function problemNotFound (request: FastifyRequest, reply: FastifyReply): void {
    sendProblem(reply, {
      status: 404,
      type: ABOUT_BLANK,
      title: 'Not Found',
      detail: `Route ${request.method}:${pathOf(request.url)} not found`,
      instance: undefined,
      extensions: undefined,
      headers: undefined
    }, settings)
  }
}
