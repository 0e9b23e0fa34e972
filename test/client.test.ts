import t from 'tap'
import { request } from 'undici'
import { Type } from '@sinclair/typebox'
import { build, type Teardown } from './helpers.js'
import {
  BadGateway, NotFound, ProblemError, ServiceUnavailable, defineProblem, isProblemDetails, parseProblem
} from '../lib/index.js'

const TYPE_BASE = 'https://api.example.com/problems/'

const OutOfCredit = defineProblem({
  type: 'client-test-out-of-credit',
  status: 403,
  title: 'You do not have enough credit',
  extensions: Type.Object({ balance: Type.Number(), accounts: Type.Array(Type.String()) })
})

t.test('isProblemDetails follows RFC 9457 §3.1', async (t) => {
  t.ok(isProblemDetails({ type: 'https://x/y', title: 'T', status: 400 }))
  t.ok(isProblemDetails({ title: 'Only a title' }))
  t.ok(isProblemDetails({ status: 404 }))
  t.ok(isProblemDetails({ type: 'about:blank', status: '404', title: 42 }), 'members of the wrong type are ignored, not fatal')
  t.ok(isProblemDetails({ detail: 'x', instance: 7 }))
  t.notOk(isProblemDetails({ status: '404', title: 42 }), 'nothing usable left')
  t.notOk(isProblemDetails({ error: 'Not Found', message: 'x' }), 'some other error shape')
  t.notOk(isProblemDetails({ status: 404.5 }))
  t.notOk(isProblemDetails([{ title: 'x' }]), 'an array')
  t.notOk(isProblemDetails(null))
  t.notOk(isProblemDetails('{"title":"x"}'), 'a string')
  t.notOk(isProblemDetails(undefined))
  const hostile = new Proxy({}, { get () { throw new Error('trap') } })
  t.notOk(isProblemDetails(hostile), 'a throwing object is not a problem, and does not throw')
  const value: unknown = { title: 'typed' }
  if (isProblemDetails(value)) t.equal(value.title, 'typed', 'narrows to an object with members')
})

async function upstream (t: Teardown) {
  const app = await build(t, { typeBase: TYPE_BASE })
  app.get('/credit', async () => {
    throw new OutOfCredit({ detail: 'Your balance is 20, the cost is 30', balance: 20, accounts: ['/a/1', '/a/2'] })
  })
  app.get('/missing', async (_req, reply) => reply.notFound('No user 7'))
  app.get('/busy', async () => { throw new ServiceUnavailable('Try later', undefined, { retryAfter: 30 }) })
  app.get('/unknown-type', async (_req, reply) => reply.problem({ status: 409, type: 'https://other.example/conflict', title: 'Other conflict', detail: 'x', extensions: { tags: ['a'] } }))
  app.get('/custom-title', async (_req, reply) => reply.problem({ status: 404, title: 'User missing' }))
  app.get('/html', async (_req, reply) => reply.code(502).type('text/html').send('<html><body>Bad gateway</body></html>'))
  app.get('/ok', async () => ({ hello: 'world' }))
  app.get('/ok-problem', async (_req, reply) => reply.type('application/problem+json').send({ type: 'https://x/warn', title: 'Partial', status: '200' }))
  app.get('/hostile', async (_req, reply) => reply.code(400).type('application/problem+json')
    .send('{"type":7,"title":"Evil","status":"400","detail":["x"],"headers":{"set-cookie":"a=b"},"cause":"x","__proto__":{"polluted":true},"retryAfter":5,"kept":1}'))
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  return { app, url: `http://127.0.0.1:${port}` }
}

t.test('fetch, undici request() and inject give the same ProblemError of the defined class', async (t) => {
  const { app, url } = await upstream(t)
  const viaFetch = await parseProblem(await fetch(url + '/credit'))
  const viaUndici = await parseProblem(await request(url + '/credit'))
  const viaInject = await parseProblem(await app.inject('/credit'))
  for (const [name, problem] of [['fetch', viaFetch], ['undici', viaUndici], ['inject', viaInject]] as const) {
    t.ok(problem instanceof OutOfCredit, `${name}: instanceof the defined class`)
    t.ok(problem instanceof ProblemError, `${name}: a ProblemError`)
    t.equal(problem?.status, 403)
    t.equal(problem?.detail, 'Your balance is 20, the cost is 30')
    t.equal(problem?.instance, '/credit')
    t.same(problem?.extensions, { balance: 20, accounts: ['/a/1', '/a/2'] }, `${name}: the members the type declares`)
  }
})

t.test('about:blank gives the status class; other types a plain ProblemError', async (t) => {
  const { url } = await upstream(t)
  const missing = await parseProblem(await fetch(url + '/missing'))
  t.ok(missing instanceof NotFound)
  t.equal(missing?.detail, 'No user 7')
  t.equal(missing?.title, 'Not Found')

  const custom = await parseProblem(await fetch(url + '/custom-title'))
  t.ok(custom instanceof NotFound)
  t.equal(custom?.title, 'User missing', 'a custom title is kept')

  const busy = await parseProblem(await request(url + '/busy'))
  t.ok(busy instanceof ServiceUnavailable)
  t.equal(busy?.headers?.['retry-after'], '30', 'Retry-After is carried over')

  const other = await parseProblem(await fetch(url + '/unknown-type'))
  t.equal(other?.constructor, ProblemError)
  t.equal(other?.type, 'https://other.example/conflict')
  t.equal(other?.title, 'Other conflict')
  t.equal(other?.status, 409)
  t.same(other?.extensions.tags, ['a'])
})

t.test('responses that are not problems', async (t) => {
  const { app, url } = await upstream(t)
  const html = await parseProblem(await fetch(url + '/html'))
  t.ok(html instanceof BadGateway, 'an HTML error page gives the status problem')
  t.equal(html?.detail, undefined)
  t.equal(await parseProblem(await fetch(url + '/ok')), undefined, 'a success that is no problem gives undefined')
  t.equal(await parseProblem(await app.inject('/ok-problem')), undefined, 'a problem body on a 2xx is no error: the HTTP status decides')
  const xml = await parseProblem(await fetch(url + '/missing', { headers: { accept: 'application/problem+xml' } }))
  t.ok(xml instanceof NotFound, 'an XML problem gives its status problem')
  t.equal(xml?.detail, 'No user 7', 'read from the XML body')
  const used = await fetch(url + '/missing')
  await used.text()
  t.ok(await parseProblem(used) instanceof NotFound, 'a consumed body: the status decides')
  await t.rejects(parseProblem({} as never), TypeError)
})

t.test('wrong-typed and dangerous members from an upstream are ignored', async (t) => {
  const { url } = await upstream(t)
  const problem = await parseProblem(await request(url + '/hostile'))
  t.ok(problem instanceof ProblemError)
  t.equal(problem?.type, 'about:blank', 'a non-string type is ignored')
  t.equal(problem?.status, 400)
  t.equal(problem?.detail, undefined, 'a non-string detail is ignored')
  t.equal(problem?.title, 'Evil')
  t.equal(problem?.headers, undefined, 'an upstream "headers" member never becomes response headers')
  t.equal(problem?.extensions.kept, 1)
  t.notOk('cause' in (problem?.extensions ?? {}))
  t.equal(problem?.cause, undefined, 'an upstream "cause" member never becomes the cause')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution')
})

t.test('relative types: recognised with typeBase, and by the directory of the type', async (t) => {
  const Relative = defineProblem({ type: 'nested/client-test-quota', status: 429, title: 'Quota exceeded' })
  const doc = JSON.stringify({ type: TYPE_BASE + 'nested/client-test-quota', title: 'Quota exceeded', status: 429 })
  const response = () => ({ statusCode: 429, headers: { 'content-type': 'application/problem+json' }, body: doc })
  t.ok(await parseProblem(response(), { typeBase: TYPE_BASE }) instanceof Relative, 'with typeBase')
  t.notOk(await parseProblem(response()) instanceof Relative, 'a nested relative type needs typeBase')
  t.notOk(await parseProblem(response(), { typeBase: 'https://elsewhere.example/' }) instanceof Relative, 'another API\'s base')
})

t.test('a gateway passes an upstream problem on, or wraps it', async (t) => {
  const { url } = await upstream(t)
  const gateway = await build(t, { typeBase: TYPE_BASE }, { genReqId: () => 'gateway-id' })
  gateway.get('/pass/:what', async (req) => {
    const res = await request(`${url}/${(req.params as { what: string }).what}`)
    if (res.statusCode >= 400) throw await parseProblem(res)
    return res.body.json()
  })
  gateway.get('/wrap', async () => {
    const res = await fetch(url + '/credit')
    const problem = await parseProblem(res)
    throw new BadGateway('The billing service refused the charge', undefined, { cause: problem })
  })

  const passed = await gateway.inject('/pass/credit')
  t.equal(passed.statusCode, 403)
  const body = passed.json()
  t.equal(body.type, TYPE_BASE + 'client-test-out-of-credit')
  t.equal(body.detail, 'Your balance is 20, the cost is 30')
  t.same(body.accounts, ['/a/1', '/a/2'])
  t.equal(body.requestId, 'gateway-id', 'the request id is the gateway\'s own')
  const client = await parseProblem(passed)
  t.ok(client instanceof OutOfCredit, 'and its client still sees the defined class')

  const busy = await gateway.inject('/pass/busy')
  t.equal(busy.statusCode, 503)
  t.equal(busy.headers['retry-after'], '30', 'Retry-After passes on')

  const wrapped = await gateway.inject('/wrap')
  t.equal(wrapped.statusCode, 502)
  t.equal(wrapped.json().detail, 'The billing service refused the charge')
  t.notMatch(wrapped.body, /balance/, 'the upstream problem stays in the log')
})
