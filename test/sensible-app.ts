// A small app written the way @fastify/sensible's README shows it: its
// error API (reply helpers, httpErrors, createError, assert, getHttpError,
// a `$ref` to the shared schema) and its utilities (to, vary, the cache
// helpers, forwarded, is). test/sensible-migration.test.ts runs it with
// @fastify/sensible alone, beside this plugin, and with this plugin alone
// (docs/migration.md#from-fastifysensible); test/sensible-coexist.test.ts runs it
// in every arrangement, on the oldest and the newest Fastify 5.
import type { FastifyInstance } from 'fastify'

const users = new Map([['1', { id: '1', name: 'Ada' }]])

/** Routes that use sensible's error API only: they run without sensible too. */
export async function errorRoutes (app: FastifyInstance): Promise<void> {
  app.get('/users/:id', async function (request, reply) {
    const user = users.get((request.params as { id: string }).id)
    if (user === undefined) return reply.notFound('User not found')
    return user
  })
  app.get('/bare', async (_request, reply) => reply.badRequest())
  app.get('/orders/:id', async function (request) {
    throw this.httpErrors.notFound(`Order ${(request.params as { id: string }).id} not found`)
  })
  app.post('/orders', async function (request) {
    const body = request.body as { item?: unknown, quantity?: unknown } | null
    this.assert(body?.item, 400, 'item is required')
    this.assert.equal(typeof body.quantity, 'number', 422, 'quantity must be a number')
    this.assert.notStrictEqual(body.quantity, 0, 422, 'quantity must not be 0')
    this.assert.deepEqual(Object.keys(body).sort(), ['item', 'quantity'], 400, 'unknown members')
    return { ok: true }
  })
  app.get('/slow', async function () {
    const error = this.httpErrors.tooManyRequests('Slow down')
    error.headers = { 'retry-after': '30' }
    throw error
  })
  app.put('/users/:id', async function () {
    const error = this.httpErrors.methodNotAllowed('Users are read only')
    error.headers = { allow: 'GET' }
    throw error
  })
  app.get('/private', async function () {
    const error = this.httpErrors.unauthorized('Log in first')
    error.headers = { 'www-authenticate': 'Bearer realm="api"' }
    throw error
  })
  app.post('/signup', async function () {
    throw this.httpErrors.createError(409, 'Email already taken')
  })
  app.get('/legal', async (_request, reply) => reply.getHttpError(451, 'Not in your country'))
  app.get('/gone', async (_request, reply) => reply.getHttpError('410'))
  app.get('/db', async function () {
    throw this.httpErrors.internalServerError('db password=hunter2 rejected')
  })
  app.get('/crash', async () => {
    throw new Error('stack at /srv/app/secret.js')
  })
  app.get('/schema', { schema: { response: { 404: { $ref: 'HttpError' } } } }, async (_request, reply) => reply.notFound('No such thing'))
}

/** Routes that use sensible's utilities: they need @fastify/sensible itself. */
export async function utilityRoutes (app: FastifyInstance): Promise<void> {
  app.get('/maybe', async function () {
    const [error, value] = await this.to(Promise.resolve(42))
    const [failure] = await this.to(Promise.reject(new Error('nope')))
    return { error, value, failure: failure?.message }
  })
  app.get('/cached', async (_request, reply) => {
    reply.cacheControl('public')
    reply.maxAge(60)
    return 'cached'
  })
  app.get('/no-cache', async (_request, reply) => {
    reply.preventCache()
    return 'fresh'
  })
  app.get('/static', async (_request, reply) => {
    reply.staticCache(3600)
    return 'static'
  })
  app.get('/stale', async (_request, reply) => {
    reply.stale('while-revalidate', 42)
    return 'stale'
  })
  app.get('/revalidate', async (_request, reply) => {
    reply.revalidate()
    return 'revalidate'
  })
  app.get('/vary', async (_request, reply) => {
    reply.vary('Accept-Encoding')
    reply.vary('Accept-Language')
    return 'vary'
  })
  app.post('/whoami', async (request) => ({ forwarded: request.forwarded(), json: request.is(['json']), html: request.is('html') }))
  // An error after a utility: the utility's header stays on the problem.
  app.get('/cached-missing', async (_request, reply) => {
    reply.cacheControl('no-cache')
    return reply.notFound('Nothing cached here')
  })
}

/** One request of the recipe. */
export interface RecipeRequest {
  method: 'GET' | 'POST' | 'PUT'
  url: string
  payload?: unknown
  headers?: Record<string, string>
  /** needs sensible's utilities */
  utility?: boolean
}

export const ERROR_REQUESTS: RecipeRequest[] = [
  { method: 'GET', url: '/users/1' },
  { method: 'GET', url: '/users/2' },
  { method: 'GET', url: '/bare' },
  { method: 'GET', url: '/orders/7' },
  { method: 'POST', url: '/orders', payload: {} },
  { method: 'POST', url: '/orders', payload: { item: 'tea', quantity: 'two' } },
  { method: 'POST', url: '/orders', payload: { item: 'tea', quantity: 0 } },
  { method: 'POST', url: '/orders', payload: { item: 'tea', quantity: 2, extra: true } },
  { method: 'POST', url: '/orders', payload: { item: 'tea', quantity: 2 } },
  { method: 'GET', url: '/slow' },
  { method: 'PUT', url: '/users/1' },
  { method: 'GET', url: '/private' },
  { method: 'POST', url: '/signup' },
  { method: 'GET', url: '/legal' },
  { method: 'GET', url: '/gone' },
  { method: 'GET', url: '/db' },
  { method: 'GET', url: '/crash' },
  { method: 'GET', url: '/schema' },
  { method: 'GET', url: '/no-such-route' }
]

export const UTILITY_REQUESTS: RecipeRequest[] = [
  { method: 'GET', url: '/maybe', utility: true },
  { method: 'GET', url: '/cached', utility: true },
  { method: 'GET', url: '/no-cache', utility: true },
  { method: 'GET', url: '/static', utility: true },
  { method: 'GET', url: '/stale', utility: true },
  { method: 'GET', url: '/revalidate', utility: true },
  { method: 'GET', url: '/vary', utility: true },
  { method: 'POST', url: '/whoami', payload: { a: 1 }, headers: { 'x-forwarded-for': '203.0.113.7' }, utility: true },
  { method: 'GET', url: '/cached-missing', utility: true }
]

/** The headers sensible's utilities and errors set, compared between the runs. */
export const COMPARED_HEADERS = ['cache-control', 'pragma', 'expires', 'retry-after', 'allow', 'www-authenticate']
