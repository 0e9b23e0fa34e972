import t, { type Test } from 'tap'
import { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import httpErrors from 'http-errors'
import Boom from '@hapi/boom'
import sensible from '@fastify/sensible'
import { frameworkErrors, type ProblemDetailsOptions } from '../lib/index.js'
import { bare, build } from './helpers.js'

const PROBLEM_JSON = 'application/problem+json'

async function app (t: Test, options: ProblemDetailsOptions = {}, server: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const fastify = await build(t, { requestIdMember: false, ...options }, server)
  return fastify
}

const userSchema = {
  body: {
    type: 'object',
    required: ['email', 'name'],
    additionalProperties: false,
    properties: {
      email: { type: 'string', format: 'email' },
      name: { type: 'string', minLength: 2 },
      tags: { type: 'array', items: { type: 'string', maxLength: 3 } }
    }
  },
  querystring: {
    type: 'object',
    properties: { limit: { type: 'integer', maximum: 100 } }
  },
  params: {
    type: 'object',
    properties: { id: { type: 'integer' } }
  },
  headers: {
    type: 'object',
    properties: { 'x-key': { type: 'string', minLength: 4 } }
  }
}

async function validating (t: Test, options: ProblemDetailsOptions = {}, allErrors = false): Promise<FastifyInstance> {
  const fastify = await app(t, options, { ajv: { customOptions: { allErrors, removeAdditional: false } } })
  fastify.post('/users/:id', { schema: userSchema }, async () => ({ ok: true }))
  return fastify
}

t.test('validation: one errors[] entry per Ajv error, pointing into the request part', async (t) => {
  const fastify = await validating(t)
  const cases: Array<[string, Record<string, unknown>, Record<string, string>, string]> = [
    ['/users/1?limit=500', { email: 'a@b.co', name: 'Al' }, {}, '#/querystring/limit'],
    ['/users/abc', { email: 'a@b.co', name: 'Al' }, {}, '#/params/id'],
    ['/users/1', { email: 'a@b.co', name: 'Al' }, { 'x-key': 'ab' }, '#/headers/x-key'],
    ['/users/1', { email: 'not an email', name: 'Al' }, {}, '#/body/email'],
    ['/users/1', { email: 'a@b.co', name: 'Al', tags: ['ok', 'toolong'] }, {}, '#/body/tags/1'],
    ['/users/1', { name: 'Al' }, {}, '#/body/email'],
    ['/users/1', { email: 'a@b.co', name: 'Al', role: 'admin' }, {}, '#/body/role']
  ]
  for (const [url, payload, headers, pointer] of cases) {
    const res = await fastify.inject({ method: 'POST', url, payload, headers })
    t.equal(res.statusCode, 400, url + ' → 400')
    t.equal(res.headers['content-type'], PROBLEM_JSON)
    const body = res.json()
    t.equal(body.status, 400)
    t.equal(body.title, 'Bad Request')
    t.equal(body.type, 'about:blank')
    t.equal(body.instance, url.split('?')[0])
    t.equal(body.errors.length, 1, 'one entry without allErrors')
    t.equal(body.errors[0].pointer, pointer)
    t.type(body.errors[0].detail, 'string')
  }
  const missing = await fastify.inject({ method: 'POST', url: '/users/1', payload: { name: 'Al' } })
  t.same(missing.json().errors, [{ detail: "must have required property 'email'", pointer: '#/body/email' }], 'required points at the missing member')
  const extra = await fastify.inject({ method: 'POST', url: '/users/1', payload: { email: 'a@b.co', name: 'Al', role: 'x' } })
  t.same(extra.json().errors, [{ detail: 'must NOT have additional properties', pointer: '#/body/role' }], 'additionalProperties points at the extra member')
})

t.test('validation with allErrors (ajv.customOptions): every Ajv error is an entry', async (t) => {
  const fastify = await validating(t, {}, true)
  const res = await fastify.inject({ method: 'POST', url: '/users/1', payload: { email: 'nope', role: 'x', tags: ['abcd', 'ok', 'efgh'] } })
  t.equal(res.statusCode, 400)
  const pointers = res.json().errors.map((e: { pointer: string }) => e.pointer).sort()
  t.same(pointers, ['#/body/email', '#/body/name', '#/body/role', '#/body/tags/0', '#/body/tags/2'])
})

t.test('validationStatus: 422 for validation errors and ValidationProblem', async (t) => {
  const fastify = await validating(t, { validationStatus: 422 })
  const { ValidationProblem } = await import('../lib/index.js')
  fastify.get('/manual', async () => { throw new ValidationProblem([{ detail: 'bad', pointer: '#/body/x' }]) })
  const res = await fastify.inject({ method: 'POST', url: '/users/1', payload: { name: 'Al' } })
  t.equal(res.statusCode, 422)
  t.equal(res.json().status, 422)
  t.equal(res.json().title, 'Unprocessable Content')
  const manual = await fastify.inject('/manual')
  t.equal(manual.statusCode, 422)
  t.same(manual.json(), { type: 'about:blank', title: 'Unprocessable Content', status: 422, detail: 'The request is not valid', instance: '/manual', errors: [{ detail: 'bad', pointer: '#/body/x' }] })
})

t.test('malformed bodies', async (t) => {
  const fastify = await app(t, {}, { bodyLimit: 64 })
  fastify.post('/echo', async (req) => req.body)

  const bad = await fastify.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"password":"hunter2",' })
  t.equal(bad.statusCode, 400, 'invalid JSON')
  t.equal(bad.headers['content-type'], PROBLEM_JSON)
  t.same(bad.json(), { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'The request body is not valid JSON', instance: '/echo' })
  t.notMatch(bad.body, /hunter2/, 'the client\'s bytes are not echoed')

  const empty = await fastify.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '' })
  t.equal(empty.statusCode, 400, 'empty JSON body')
  t.match(empty.json().detail, /empty/)

  const length = await fastify.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json', 'content-length': '20' }, payload: '{"a":1}' })
  t.equal(length.statusCode, 400, 'wrong content length')
  t.equal(length.json().detail, 'The Content-Length header does not match the length of the body')

  const large = await fastify.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ a: 'x'.repeat(100) }) })
  t.equal(large.statusCode, 413, 'body over bodyLimit')
  t.same(large.json(), { type: 'about:blank', title: 'Content Too Large', status: 413, detail: 'The request body is larger than this endpoint accepts', instance: '/echo' })

  const media = await fastify.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/x-foo' }, payload: 'x' })
  t.equal(media.statusCode, 415, 'unsupported media type')
  t.equal(media.json().title, 'Unsupported Media Type')
})

t.test('unknown route: 404 whose instance is the path, without the query string', async (t) => {
  const fastify = await app(t)
  const res = await fastify.inject({ method: 'DELETE', url: '/nowhere/42?token=secret' })
  t.equal(res.statusCode, 404)
  t.equal(res.headers['content-type'], PROBLEM_JSON)
  t.same(res.json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'Route DELETE:/nowhere/42 not found', instance: '/nowhere/42' })
  t.notMatch(res.body, /secret/)
})

t.test('reply.callNotFound() and a prefixed child\'s own not-found handler', async (t) => {
  const fastify = await app(t)
  fastify.get('/users/:id', async (_req, reply) => reply.callNotFound())
  await fastify.register(async (v2) => {
    v2.setNotFoundHandler(async (_req, reply) => reply.notFound('No such v2 resource'))
  }, { prefix: '/v2' })
  const called = await fastify.inject('/users/7?x=1')
  t.equal(called.statusCode, 404)
  t.same(called.json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'Route GET:/users/7 not found', instance: '/users/7' })
  const child = await fastify.inject('/v2/things')
  t.equal(child.statusCode, 404)
  t.equal(child.json().detail, 'No such v2 resource')
})

t.test('frameworkErrors: FST_ERR_BAD_URL through the exported helper', async (t) => {
  const fastify = await app(t, {}, { frameworkErrors })
  fastify.get('/items/:id', async () => 'ok')
  const res = await fastify.inject('/items/%E0%A4%A')
  t.equal(res.statusCode, 400)
  t.equal(res.headers['content-type'], PROBLEM_JSON)
  t.same(res.json(), { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'The request URL is not valid', instance: '/items/%E0%A4%25A' }, 'a stray % encoded as %25 (a URI reference)')
})

t.test('frameworkErrors: FST_ERR_MAX_PARAM_LENGTH → 414', async (t) => {
  const fastify = await app(t, {}, { frameworkErrors, maxParamLength: 10 })
  fastify.get('/items/:id', async () => 'ok')
  const res = await fastify.inject('/items/' + 'x'.repeat(20))
  t.equal(res.statusCode, 414)
  t.equal(res.json().title, 'URI Too Long')
})

t.test('frameworkErrors before the plugin is registered still answers a problem', async (t) => {
  const fastify = bare(t, { frameworkErrors })
  fastify.get('/items/:id', async () => 'ok')
  const res = await fastify.inject('/items/%E0%A4%A')
  t.equal(res.statusCode, 500)
  t.equal(res.headers['content-type'], PROBLEM_JSON)
  t.same(res.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500 })
})

t.test('http-errors honour expose and headers', async (t) => {
  const fastify = await app(t)
  fastify.get('/404', async () => { throw httpErrors(404, 'No such user') })
  fastify.get('/500', async () => { throw httpErrors(500, 'connect to db.internal:5432 failed') })
  fastify.get('/hidden', async () => { throw httpErrors(400, 'internal reason', { expose: false }) })
  fastify.get('/shown', async () => { throw httpErrors(503, 'Maintenance until noon', { expose: true }) })
  fastify.get('/401', async () => { throw httpErrors(401, 'Token expired', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } }) })
  fastify.get('/sensible', async () => { throw sensible.httpErrors.conflict('Name taken') })

  const notFound = await fastify.inject('/404')
  t.equal(notFound.statusCode, 404)
  t.same(notFound.json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such user', instance: '/404' })

  const server = await fastify.inject('/500')
  t.equal(server.statusCode, 500)
  t.same(server.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500, instance: '/500' })
  t.notMatch(server.body, /db\.internal/)

  t.notOk('detail' in (await fastify.inject('/hidden')).json(), 'expose: false hides a 4xx message')
  t.equal((await fastify.inject('/shown')).json().detail, 'Maintenance until noon', 'expose: true shows a 5xx message')

  const auth = await fastify.inject('/401')
  t.equal(auth.statusCode, 401)
  t.equal(auth.headers['www-authenticate'], 'Bearer error="invalid_token"')
  t.equal(auth.json().detail, 'Token expired')

  const conflict = await fastify.inject('/sensible')
  t.equal(conflict.statusCode, 409)
  t.equal(conflict.json().detail, 'Name taken')
})

t.test('a status without expose is not trusted (an HTTP client\'s upstream status)', async (t) => {
  const fastify = await app(t)
  fastify.get('/', async () => { throw Object.assign(new Error('upstream said 404 for http://10.0.0.1/secret'), { status: 404 }) })
  const res = await fastify.inject('/')
  t.equal(res.statusCode, 500)
  t.notMatch(res.body, /10\.0\.0\.1/)
})

t.test('errors with a statusCode (Fastify\'s errors, plain errors)', async (t) => {
  const fastify = await app(t)
  fastify.get('/4xx', async () => { throw Object.assign(new Error('Too many items'), { statusCode: 422 }) })
  fastify.get('/5xx', async () => { throw Object.assign(new Error('secret'), { statusCode: 502 }) })
  fastify.get('/odd', async () => { throw Object.assign(new Error('secret'), { statusCode: 302 }) })
  t.same((await fastify.inject('/4xx')).json(), { type: 'about:blank', title: 'Unprocessable Content', status: 422, detail: 'Too many items', instance: '/4xx' })
  const five = await fastify.inject('/5xx')
  t.equal(five.statusCode, 502)
  t.notMatch(five.body, /secret/)
  const odd = await fastify.inject('/odd')
  t.equal(odd.statusCode, 500, 'a non-error statusCode is not trusted')
  t.notMatch(odd.body, /secret/)
})

t.test('Boom errors', async (t) => {
  const fastify = await app(t)
  fastify.get('/404', async () => { throw Boom.notFound('No such order') })
  fastify.get('/401', async () => { throw Boom.unauthorized('bad token', 'Bearer') })
  fastify.get('/500', async () => { throw Boom.badImplementation('password=hunter2') })
  fastify.get('/503', async () => { throw Boom.serverUnavailable('down for maintenance') })
  fastify.get('/odd', async () => { throw Object.assign(new Error('x'), { isBoom: true, output: { statusCode: 200 } }) })

  t.same((await fastify.inject('/404')).json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such order', instance: '/404' })
  const auth = await fastify.inject('/401')
  t.equal(auth.statusCode, 401)
  t.equal(auth.headers['www-authenticate'], 'Bearer error="bad token"')
  const bug = await fastify.inject('/500')
  t.equal(bug.statusCode, 500)
  t.notMatch(bug.body, /hunter2/)
  const down = await fastify.inject('/503')
  t.equal(down.statusCode, 503)
  t.notOk('detail' in down.json(), '5xx Boom messages are not sent')
  t.equal((await fastify.inject('/odd')).statusCode, 500)
})
