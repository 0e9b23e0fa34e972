import t from 'tap'
import Fastify, { type FastifyInstance, type FastifySchema } from 'fastify'
import problemDetails from '../lib/index.js'
import { bare, build } from './helpers.js'

// Validation failures are built without a stack (lib/fastify/schema-errors.ts)
// unless the app formats them itself; every answer stays what it was.

const TEN = Array.from({ length: 10 }, (_, i) => 'field' + i)
const SCHEMAS: Record<string, FastifySchema> = {
  body: { body: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name'] } },
  ten: { body: { type: 'object', properties: Object.fromEntries(TEN.map((n) => [n, { type: 'string' }])), required: TEN } },
  querystring: { querystring: { type: 'object', properties: { limit: { type: 'integer' } }, required: ['limit'] } },
  params: { params: { type: 'object', properties: { id: { type: 'integer' } } } },
  headers: { headers: { type: 'object', properties: { 'x-tenant': { type: 'integer' } }, required: ['x-tenant'] } }
}

/** The same validating routes on any app. */
function routes (app: FastifyInstance, extra: Record<string, unknown> = {}): void {
  const handler = async (request: { validationError?: Error }) => {
    const e = request.validationError
    return e === undefined ? 'valid' : { message: e.message, stack: e.stack, isError: e instanceof Error, name: e.name }
  }
  app.post('/body', { schema: SCHEMAS.body, ...extra }, handler)
  app.post('/ten', { schema: SCHEMAS.ten, ...extra }, handler)
  app.get('/querystring', { schema: SCHEMAS.querystring, ...extra }, handler)
  app.get('/params/:id', { schema: SCHEMAS.params, ...extra }, handler)
  app.get('/headers', { schema: SCHEMAS.headers, ...extra }, handler)
}

const REQUESTS = [
  { method: 'POST' as const, url: '/body', payload: { age: 'old' } },
  { method: 'POST' as const, url: '/ten', payload: {} },
  { method: 'GET' as const, url: '/querystring?limit=abc' },
  { method: 'GET' as const, url: '/params/abc' },
  { method: 'GET' as const, url: '/headers' }
]

const ALL_ERRORS = { ajv: { customOptions: { allErrors: true } } }

t.test('the detail is Fastify\'s own message, for every request part, one error or ten', async (t) => {
  const ours = await build(t, {}, ALL_ERRORS)
  routes(ours)
  const theirs = bare(t, ALL_ERRORS)
  routes(theirs)
  for (const request of REQUESTS) {
    const problem = (await ours.inject(request)).json()
    const fastify = (await theirs.inject(request)).json()
    t.equal(problem.status, 400, request.url)
    t.equal(problem.detail, fastify.message, `${request.url}: the detail is Fastify's message`)
    t.equal(problem.errors.length, fastify.message.split(', ').length, `${request.url}: one errors[] entry per Ajv error`)
  }
  const ten = (await ours.inject(REQUESTS[1])).json()
  t.same(ten.errors.map((e: { pointer: string }) => e.pointer), TEN.map((n) => '#/body/' + n))
})

t.test('the validation error carries no stack frames, and is still an Error with Fastify\'s message', async (t) => {
  const ours = await build(t)
  routes(ours, { attachValidation: true })
  const theirs = bare(t)
  routes(theirs, { attachValidation: true })
  for (const request of REQUESTS) {
    const mine = (await ours.inject(request)).json()
    const fastify = (await theirs.inject(request)).json()
    t.equal(mine.isError, true, `${request.url}: instanceof Error`)
    t.equal(mine.name, 'Error')
    t.equal(mine.message, fastify.message, `${request.url}: Fastify's message`)
    t.equal(mine.stack, 'Error: ' + fastify.message, `${request.url}: the stack is its first line, no frames`)
    t.match(fastify.stack, /\n\s+at /, 'Fastify\'s own formatter captures frames (what this saves)')
  }
})

t.test('error.stack can be set, as on any Error', async (t) => {
  const app = await build(t)
  app.get('/', { schema: SCHEMAS.querystring, attachValidation: true }, async (request) => {
    const e = request.validationError as Error
    e.stack = 'replaced'
    return { stack: e.stack, keys: Object.keys(e).includes('stack') }
  })
  t.same((await app.inject('/')).json(), { stack: 'replaced', keys: false })
})

/** A formatter of the app's own, whose message names where it came from. */
function formatter (tag: string) {
  return (errors: unknown[], dataVar: string) => new Error(`${tag}: ${dataVar} has ${errors.length} error(s)`)
}

t.test('the app\'s own schemaErrorFormatter is kept: server option, set before, set after, in a child, on a route', async (t) => {
  t.test('the schemaErrorFormatter server option', async (t) => {
    const app = await build(t, {}, { schemaErrorFormatter: formatter('server') })
    routes(app)
    const problem = (await app.inject('/querystring?limit=abc')).json()
    t.equal(problem.detail, 'server: querystring has 1 error(s)')
    t.same(problem.errors, [{ detail: 'must be integer', pointer: '#/querystring/limit' }], 'errors[] from Fastify\'s validation, as always')
  })

  t.test('setSchemaErrorFormatter() before the plugin', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    app.setSchemaErrorFormatter(formatter('before'))
    await app.register(problemDetails)
    routes(app)
    t.equal((await app.inject('/querystring?limit=abc')).json().detail, 'before: querystring has 1 error(s)')
  })

  t.test('setSchemaErrorFormatter() after the plugin', async (t) => {
    const app = await build(t)
    app.setSchemaErrorFormatter(formatter('after'))
    routes(app)
    t.equal((await app.inject('/querystring?limit=abc')).json().detail, 'after: querystring has 1 error(s)')
  })

  t.test('setSchemaErrorFormatter() in a child plugin: that child only', async (t) => {
    const app = await build(t, {}, {})
    await app.register(async (child) => {
      child.setSchemaErrorFormatter(formatter('child'))
      child.get('/child', { schema: SCHEMAS.querystring }, async () => 'valid')
    })
    routes(app, { attachValidation: true })
    t.equal((await app.inject('/child?limit=abc')).json().detail, 'child: querystring has 1 error(s)')
    t.equal((await app.inject('/querystring?limit=abc')).json().stack, 'Error: querystring/limit must be integer', 'elsewhere: the stack-free error')
  })

  t.test('a route\'s own schemaErrorFormatter', async (t) => {
    const app = await build(t)
    app.get('/', { schema: SCHEMAS.querystring, schemaErrorFormatter: formatter('route') }, async () => 'valid')
    t.equal((await app.inject('/?limit=abc')).json().detail, 'route: querystring has 1 error(s)')
  })
})

t.test('a mapping of FST_ERR_VALIDATION still sees Fastify\'s error', async (t) => {
  const app = await build(t)
  app.problemDetails.map('FST_ERR_VALIDATION', (error: Error & { validationContext?: string, validation?: unknown[] }) => ({
    status: 422,
    detail: `${error.validationContext}: ${error.message} (${error.validation?.length})`
  }))
  routes(app)
  const res = await app.inject('/querystring?limit=abc')
  t.equal(res.statusCode, 422)
  t.equal(res.json().detail, 'querystring: querystring/limit must be integer (1)')
})
