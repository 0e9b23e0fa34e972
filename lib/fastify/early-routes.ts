import type { FastifyInstance } from 'fastify'

/**
 * Routes registered before the plugin: Fastify gives each route the error
 * handler of its context as it is when the route is added, so a route (or a
 * plugin's route) registered before `register(problemDetails)` keeps
 * Fastify's default handler and answers `{"statusCode":500,"message":…}`,
 * the thrown message included, for every error. Nothing of ours runs for it.
 *
 * Fastify has no public list of routes with their contexts; the one public
 * view is `printRoutes({ includeMeta: ['errorHandler'] })`, whose default
 * `buildPrettyMeta` shows each route's error handler by function name
 * (Fastify's own is `defaultErrorHandler()`). The tree it prints is read back
 * into paths here, once, when the app is ready. An app that sets its own
 * `routerOptions.buildPrettyMeta` hides the handler, and is not checked.
 */

const DEFAULT_HANDLER = '"defaultErrorHandler()"'
const ROUTE_LINE = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, -]+)\))?$/
const META_LINE = /^[│ ]*• \(errorHandler\) (.*)$/
const MAX_NAMED = 20

/** `GET /early` for every route whose error handler is Fastify's default. */
export function routesWithDefaultHandler (fastify: FastifyInstance): string[] {
  let tree: string
  try {
    tree = fastify.printRoutes({ includeMeta: ['errorHandler'], commonPrefix: false })
  } catch {
    return []
  }
  const found: string[] = []
  const paths: string[] = []
  let route: { path: string, methods: string | undefined } | undefined
  for (const line of tree.split('\n')) {
    const routeLine = ROUTE_LINE.exec(line)
    if (routeLine !== null) {
      const depth = routeLine[1].length / 4
      paths.length = depth
      const path = (depth === 0 ? '' : paths[depth - 1]) + routeLine[2]
      paths.push(path)
      route = { path, methods: routeLine[3] }
      continue
    }
    const meta = META_LINE.exec(line)
    if (meta !== null && meta[1] === DEFAULT_HANDLER && route?.methods !== undefined) {
      // HEAD routes Fastify adds for GET routes are the GET route's twin.
      const methods = route.methods.split(', ').filter((m) => m !== 'HEAD' || !route?.methods?.includes('GET'))
      for (const method of methods) found.push(`${method} ${route.path}`)
    }
  }
  return found
}

/** The startup warning, or `undefined` when every route has the plugin's handler. */
export function earlyRoutesWarning (routes: readonly string[]): string | undefined {
  if (routes.length === 0) return undefined
  const named = routes.slice(0, MAX_NAMED).join(', ') + (routes.length > MAX_NAMED ? ` and ${routes.length - MAX_NAMED} more` : '')
  return `fastify-problem-details: ${routes.length === 1 ? 'a route was' : `${routes.length} routes were`} registered before the plugin ` +
    `and keep Fastify's default error handler, which answers no problem details and sends the error's message: ${named}. ` +
    'Register fastify-problem-details before these routes and the plugins that define them ' +
    '(right after creating the app: `await app.register(problemDetails)`).'
}

/** Warns once, when the app is ready, about routes registered before the plugin. */
export function warnAboutEarlyRoutes (fastify: FastifyInstance): void {
  fastify.addHook('onReady', function checkEarlyRoutes (done) {
    const warning = earlyRoutesWarning(routesWithDefaultHandler(this))
    // A process warning, as Fastify's own: printed once on stderr whether or not the app logs.
    if (warning !== undefined) process.emitWarning(warning, { type: 'FastifyProblemDetailsWarning', code: 'FPD_EARLY_ROUTES' })
    done()
  })
}
