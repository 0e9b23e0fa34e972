import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { normalizeOptions, type ProblemDetailsOptions } from './options.js'
import { loadOpenTelemetry } from '../response/trace.js'
import { RegistrationError } from '../errors.js'
import { ProblemRegistry, createAppState } from '../mapping/registry.js'
import { presetLayer } from '../mapping/presets/index.js'
import { buildErrorHandler } from './error-handler.js'
import { buildNotFoundHandler } from './not-found.js'
import { decorateReply, REPLY_DECORATORS } from './decorators.js'
import { installSchemas } from './openapi.js'
import { registerCatalogue } from './catalogue-pages.js'
import { warnAboutEarlyRoutes } from './early-routes.js'

export { RegistrationError }

const SENSIBLE_CONFLICT = '@fastify/sensible (or another plugin) decorates reply.notFound() and its siblings too. ' +
  'This plugin provides the same helpers answering problem details: remove @fastify/sensible from this app ' +
  '(docs/migration.md#from-fastifysensible)'

/**
 * A plugin registered after this one that decorates a reply helper of ours
 * (@fastify/sensible) would throw Fastify's FST_ERR_DEC_ALREADY_PRESENT from
 * inside its own synchronous registration, where nothing can catch it: the
 * process dies. Instead the decoration is refused here and `ready()` rejects
 * with a RegistrationError that says what to do. Registration time only, so
 * the wrapper costs requests nothing.
 */
function refuseLaterHelpers (fastify: FastifyInstance): void {
  const decorate = fastify.decorateReply
  let conflict: string | undefined
  fastify.decorateReply = function decorateReplyGuarded (this: FastifyInstance, name: string | symbol, ...rest: unknown[]) {
    if (typeof name === 'string' && REPLY_DECORATORS.has(name)) {
      conflict ??= name
      return this
    }
    return (decorate as (...args: unknown[]) => FastifyInstance).call(this, name, ...rest)
  } as FastifyInstance['decorateReply']
  fastify.addHook('onReady', async function () {
    if (conflict !== undefined) throw new RegistrationError(`reply.${conflict}() was decorated again after this plugin. ` + SENSIBLE_CONFLICT)
  })
}

const problemDetailsPlugin: FastifyPluginAsync<ProblemDetailsOptions> = async function problemDetails (fastify: FastifyInstance, options: ProblemDetailsOptions) {
  // @opentelemetry/api is an optional peer dependency, and an ES module:
  // loaded here, once per registration, never required (docs/observability.md).
  const settings = normalizeOptions(options, await loadOpenTelemetry())

  if (fastify.hasDecorator('problemDetails')) {
    throw new RegistrationError('the plugin is already registered in this context or a parent; register it once, at the root')
  }
  if (fastify.hasDecorator('httpErrors') || fastify.hasReplyDecorator('notFound')) {
    throw new RegistrationError(SENSIBLE_CONFLICT)
  }

  // The chain: child contexts → root (user mappings) → presets → built-ins.
  // The state (cache generation, documented types, ready) is this app's alone.
  const state = createAppState()
  const root = new ProblemRegistry(presetLayer(settings.presets), settings, state)
  fastify.decorate('problemDetails', root)
  // Mappings and documented types are settled at ready, as Fastify settles its
  // error handler: map() and document() throw afterwards.
  fastify.addHook('onReady', function problemDetailsReady (done) {
    state.started = true
    done()
  })
  // Every new encapsulation context gets a registry whose parent is the
  // enclosing one: map() in a child plugin applies to its routes only, while
  // the one error handler below serves them all.
  fastify.addHook('onRegister', (instance) => {
    const parent = (instance as unknown as { problemDetails: ProblemRegistry }).problemDetails
    ;(instance as unknown as { problemDetails: ProblemRegistry }).problemDetails = new ProblemRegistry(parent, settings)
  })

  decorateReply(fastify, settings)
  refuseLaterHelpers(fastify)
  fastify.setErrorHandler(buildErrorHandler(settings))
  fastify.setNotFoundHandler(buildNotFoundHandler(settings))
  // Shared schemas (ProblemDetails, …, the defined types the app documents)
  // and the onRoute hook that keeps routes' problem responses in line (docs/openapi.md).
  installSchemas(fastify, settings, state)
  if (settings.typeDocs) registerCatalogue(fastify, settings, root)
  warnAboutEarlyRoutes(fastify)
}

/** The plugin: `fastify.register(problemDetails, options)`. */
export const problemDetails = fp(problemDetailsPlugin, {
  fastify: '5.x',
  name: 'fastify-problem-details'
})
