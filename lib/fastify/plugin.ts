import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { normalizeOptions, type ProblemDetailsOptions } from './options.js'
import { loadOpenTelemetry } from '../response/trace.js'
import { RegistrationError } from '../errors.js'
import { ProblemRegistry, createAppState } from '../mapping/registry.js'
import { presetLayer } from '../mapping/presets/index.js'
import { buildErrorHandler } from './error-handler.js'
import { buildNotFoundHandler } from './not-found.js'
import { decorateReply } from './decorators.js'
import { installSensibleApi, ownedDecorators } from './sensible/index.js'
import { installSchemas } from './openapi.js'
import { registerCatalogue } from './catalogue-pages.js'
import { warnAboutEarlyRoutes } from './early-routes.js'
import { installSchemaErrorFormatter } from './schema-errors.js'

export { RegistrationError }

const problemDetailsPlugin: FastifyPluginAsync<ProblemDetailsOptions> = async function problemDetails (fastify: FastifyInstance, options: ProblemDetailsOptions) {
  // @opentelemetry/api is an optional peer dependency, and an ES module:
  // loaded here, once per registration, never required (docs/observability.md).
  const settings = normalizeOptions(options, await loadOpenTelemetry())

  if (fastify.hasDecorator('problemDetails')) {
    throw new RegistrationError('the plugin is already registered in this context or a parent; register it once, at the root')
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

  // Beside @fastify/sensible, in either order: lib/fastify/sensible/index.ts.
  const owned = ownedDecorators()
  decorateReply(fastify, settings, owned)
  installSensibleApi(fastify, settings, owned)
  fastify.setErrorHandler(buildErrorHandler(settings))
  fastify.setNotFoundHandler(buildNotFoundHandler(settings))
  // Validation failures built without a stack, unless the app formats its own (docs/benchmarks.md).
  installSchemaErrorFormatter(fastify)
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
