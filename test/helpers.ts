import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import problemDetails, { type ProblemDetailsOptions } from '../lib/index.js'

/** A Fastify app with the plugin registered and the logger off unless asked for. */
export async function build (options: ProblemDetailsOptions = {}, server: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(server)
  await app.register(problemDetails, options)
  return app
}
