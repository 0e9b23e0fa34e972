import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { normalizeOptions, type ProblemDetailsOptions } from './options.js'
import { ProblemRegistry } from './registry.js'
import { BUILTINS } from './builtins.js'
import { buildErrorHandler } from './error-handler.js'
import { buildNotFoundHandler } from './not-found.js'
import { decorateReply } from './decorators.js'

/** A registration error for a setup that would break later. */
export class RegistrationError extends Error {
  readonly code = 'FST_PROBLEM_DETAILS_REGISTRATION'
  constructor (message: string) {
    super('fastify-problem-details: ' + message)
    this.name = 'RegistrationError'
  }
}

const problemDetailsPlugin: FastifyPluginAsync<ProblemDetailsOptions> = async function problemDetails (fastify: FastifyInstance, options: ProblemDetailsOptions) {
  const settings = normalizeOptions(options)

  if (fastify.hasDecorator('problemDetails')) {
    throw new RegistrationError('the plugin is already registered in this context or a parent; register it once, at the root')
  }
  if (fastify.hasDecorator('httpErrors') || fastify.hasReplyDecorator('notFound')) {
    throw new RegistrationError('@fastify/sensible (or another plugin) already decorates reply.notFound() and its siblings. ' +
      'This plugin provides the same helpers answering problem details: remove @fastify/sensible, or keep only its ' +
      'non-error utilities by registering it in a child context (docs/migration.md#from-fastifysensible)')
  }

  const root = new ProblemRegistry(BUILTINS, settings)
  fastify.decorate('problemDetails', root)
  // Every new encapsulation context gets a registry whose parent is the
  // enclosing one: map() in a child plugin applies to its routes only, while
  // the one error handler below serves them all.
  fastify.addHook('onRegister', (instance) => {
    const parent = (instance as unknown as { problemDetails: ProblemRegistry }).problemDetails
    ;(instance as unknown as { problemDetails: ProblemRegistry }).problemDetails = new ProblemRegistry(parent, settings)
  })

  decorateReply(fastify, settings)
  fastify.setErrorHandler(buildErrorHandler(settings))
  fastify.setNotFoundHandler(buildNotFoundHandler(settings))
}

/** The plugin: `fastify.register(problemDetails, options)`. */
export const problemDetails = fp(problemDetailsPlugin, {
  fastify: '5.x',
  name: 'fastify-problem-details'
})
