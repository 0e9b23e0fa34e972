import t from 'tap'
import type { FastifyInstance } from 'fastify'
import createError from 'http-errors'
import { bare, build, type Teardown } from './helpers.js'
import { ProblemError } from '../lib/index.js'

/** The same routes on any app: the scenarios clients of Fastify's error shape depend on. */
function routes (app: FastifyInstance): void {
  app.post('/users', {
    schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } }
  }, async () => ({ ok: true }))
  app.get('/http-error', async () => { throw createError(409, 'Email already taken') })
  app.get('/coded', async () => {
    const error = new Error('Slow down') as Error & { statusCode: number, code: string }
    error.statusCode = 429
    error.code = 'E_SLOW'
    throw error
  })
}

async function both (t: Teardown): Promise<[FastifyInstance, FastifyInstance]> {
  const plain = bare(t)
  routes(plain)
  const compat = await build(t, { compat: 'fastify' })
  routes(compat)
  return [plain, compat]
}

t.test('every member of Fastify\'s default error body is there, with the same value', async (t) => {
  const [plain, compat] = await both(t)
  const requests = [
    { method: 'POST' as const, url: '/users', payload: {} },
    { method: 'GET' as const, url: '/no-such-route' },
    { method: 'GET' as const, url: '/http-error' },
    { method: 'GET' as const, url: '/coded' },
    { method: 'POST' as const, url: '/users', payload: '{"name":', headers: { 'content-type': 'application/json' } }
  ]
  for (const req of requests) {
    const before = await plain.inject(req)
    const after = await compat.inject(req)
    t.equal(after.statusCode, before.statusCode, `${req.method} ${req.url}: same status`)
    const expected = before.json()
    const actual = after.json()
    for (const member of ['statusCode', 'error', 'code']) {
      t.equal(actual[member], expected[member], `${req.method} ${req.url}: ${member}`)
    }
    // Fastify's JSON parser quotes the client's bytes in its message; the plugin sends a fixed detail.
    if (expected.code !== 'FST_ERR_CTP_INVALID_JSON_BODY') t.equal(actual.message, expected.message, `${req.method} ${req.url}: message`)
    else t.equal(actual.message, actual.detail)
    t.equal(actual.status, actual.statusCode, 'and it is a problem as well')
    t.type(actual.title, 'string')
  }
})

t.test('the problem members stay; message is the detail, else the title', async (t) => {
  const app = await build(t, { compat: 'fastify' })
  app.get('/detail', async (_req, reply) => reply.notFound('User 7 does not exist'))
  app.get('/bare', async (_req, reply) => reply.notFound())
  app.get('/typed', async () => {
    throw new ProblemError({ status: 403, type: 'https://x/out-of-credit', title: 'Out of credit', extensions: { code: 'E_CREDIT', balance: 20 } })
  })
  let body = (await app.inject('/detail')).json()
  t.same(body, {
    type: 'about:blank',
    title: 'Not Found',
    status: 404,
    detail: 'User 7 does not exist',
    instance: '/detail',
    requestId: body.requestId,
    statusCode: 404,
    error: 'Not Found',
    message: 'User 7 does not exist'
  })
  body = (await app.inject('/bare')).json()
  t.equal(body.message, 'Not Found')
  t.notOk('code' in body, 'no code without one')
  body = (await app.inject('/typed')).json()
  t.equal(body.error, 'Forbidden', 'error is the status phrase, as in Fastify')
  t.equal(body.message, 'Out of credit')
  t.equal(body.code, 'E_CREDIT', 'a problem\'s own code extension becomes code')
  t.equal(body.balance, 20)
})

t.test('extension members named like Fastify\'s are never emitted twice or over them', async (t) => {
  const app = await build(t, { compat: 'fastify' })
  app.get('/clash', async (_req, reply) => reply.conflict('Taken', { statusCode: 999, error: 'spoofed', message: 'spoofed', kept: 1 }))
  const res = await app.inject('/clash')
  t.equal((res.body.match(/"statusCode"/g) ?? []).length, 1)
  t.equal((res.body.match(/"message"/g) ?? []).length, 1)
  const body = res.json()
  t.equal(body.statusCode, 409)
  t.equal(body.error, 'Conflict')
  t.equal(body.message, 'Taken')
  t.equal(body.kept, 1)
})

t.test('5xx: nothing leaks, not even through code or message', async (t) => {
  const app = await build(t, { compat: 'fastify' })
  app.get('/boom', async () => {
    const error = new Error('password=hunter2 at db.internal') as Error & { code: string }
    error.code = 'ECONNSECRET'
    throw error
  })
  const res = await app.inject('/boom')
  t.equal(res.statusCode, 500)
  const body = res.json()
  t.equal(body.statusCode, 500)
  t.equal(body.error, 'Internal Server Error')
  t.equal(body.message, 'Internal Server Error')
  t.notOk('code' in body)
  t.notMatch(res.body, /hunter2|ECONNSECRET/)
})

t.test('without compat, none of Fastify\'s members', async (t) => {
  const app = await build(t)
  app.get('/x', async (_req, reply) => reply.notFound('nope'))
  const body = (await app.inject('/x')).json()
  for (const member of ['statusCode', 'error', 'message', 'code']) t.notOk(member in body, member)
})
