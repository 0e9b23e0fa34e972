import t, { type Test } from 'tap'
import { type FastifyInstance } from 'fastify'
import { ProblemError, NotFound, Unauthorized, MethodNotAllowed, ServiceUnavailable, type ProblemDetailsOptions } from '../lib/index.js'
import { build } from './helpers.js'

async function app (t: Test, options: ProblemDetailsOptions = {}): Promise<FastifyInstance> {
  const fastify = await build(t, options)
  return fastify
}

t.test('the five members, with status always equal to the HTTP status', async (t) => {
  const fastify = await app(t)
  fastify.get('/full', async () => { throw new ProblemError({ status: 403, type: 'https://e.x/p/credit', title: 'Out of credit', detail: 'Balance 20, cost 30', instance: '/accounts/1/tx/7' }) })
  fastify.get('/odd/:status', async (req) => { throw new ProblemError({ status: Number((req.params as { status: string }).status) }) })
  fastify.get('/init/:status', async (req, reply) => reply.problem({ status: Number((req.params as { status: string }).status), detail: 'x' }))

  const full = await fastify.inject('/full')
  t.equal(full.statusCode, 403)
  t.equal(full.headers['content-type'], 'application/problem+json')
  t.same(full.json(), { type: 'https://e.x/p/credit', title: 'Out of credit', status: 403, detail: 'Balance 20, cost 30', instance: '/accounts/1/tx/7', requestId: 'req-1' })
  t.same(Object.keys(full.json()).slice(0, 5), ['type', 'title', 'status', 'detail', 'instance'], 'standard members first')

  for (const status of [200, 204, 302, 399, 600, 1000]) {
    for (const route of ['odd', 'init']) {
      const res = await fastify.inject(`/${route}/${status}`)
      t.equal(res.statusCode, 500, `${route} with status ${status} is sent as 500`)
      t.equal(res.json().status, res.statusCode, 'the body says the status it is sent with')
      t.equal(res.json().title, 'Internal Server Error')
    }
  }
  const teapot = await fastify.inject('/init/418')
  t.equal(teapot.statusCode, 418)
  t.equal(teapot.json().status, 418)
})

t.test('a mapper cannot make the body disagree with the HTTP status', async (t) => {
  const fastify = await app(t)
  class Weird extends Error {}
  fastify.problemDetails.map(Weird, () => ({ status: 299, title: 'Fine' }))
  fastify.get('/', async () => { throw new Weird() })
  const res = await fastify.inject('/')
  t.equal(res.statusCode, 500)
  t.equal(res.json().status, 500)
})

t.test('instance: the path without its query string, or the option\'s choice', async (t) => {
  const path = await app(t)
  path.get('/orders/:id', async (_req, reply) => reply.notFound())
  t.equal((await path.inject('/orders/7?token=secret&x=1')).json().instance, '/orders/7')
  t.equal((await path.inject('/nope?token=secret')).json().instance, '/nope', 'not-found handler too')

  const off = await app(t, { instance: false })
  off.get('/orders/:id', async (_req, reply) => reply.notFound())
  t.notOk('instance' in (await off.inject('/orders/7')).json())

  const fn = await app(t, { instance: (req) => 'urn:request:' + req.id })
  fn.get('/orders/:id', async (_req, reply) => reply.notFound())
  t.equal((await fn.inject('/orders/7')).json().instance, 'urn:request:req-1')

  const throwing = await app(t, { instance: () => { throw new Error('bug') } })
  throwing.get('/', async (_req, reply) => reply.notFound())
  const res = await throwing.inject('/')
  t.equal(res.statusCode, 404, 'a throwing instance option does not break the response')
  t.notOk('instance' in res.json())

  const nonString = await app(t, { instance: () => 42 as unknown as string })
  nonString.get('/', async (_req, reply) => reply.notFound())
  t.notOk('instance' in (await nonString.inject('/')).json())

  const own = await app(t)
  own.get('/', async () => { throw new NotFound('x', undefined, { instance: '/things/1' }) })
  t.equal((await own.inject('/?q=1')).json().instance, '/things/1', 'a problem\'s own instance wins')
})

t.test('the request-id member', async (t) => {
  const byDefault = await app(t)
  byDefault.get('/', async (_req, reply) => reply.notFound())
  t.equal((await byDefault.inject('/')).json().requestId, 'req-1')

  const renamed = await app(t, { requestIdMember: 'traceId' })
  renamed.get('/', async (_req, reply) => reply.notFound())
  const body = (await renamed.inject('/')).json()
  t.equal(body.traceId, 'req-1')
  t.notOk('requestId' in body)

  const off = await app(t, { requestIdMember: false })
  off.get('/', async (_req, reply) => reply.notFound())
  t.same((await off.inject('/')).json(), { type: 'about:blank', title: 'Not Found', status: 404, instance: '/' })

  const spoof = await app(t)
  spoof.get('/', async () => { throw new NotFound('x', { requestId: 'forged' }) })
  t.equal((await spoof.inject('/')).json().requestId, 'req-1', 'an extension cannot forge the request id')
})

t.test('extension members: top level, never overwriting standard members or polluting prototypes', async (t) => {
  const fastify = await app(t, { requestIdMember: false })
  fastify.get('/ext', async () => { throw new ProblemError({ status: 409, detail: 'taken', extensions: { field: 'email', nested: { a: [1, 2] }, nothing: null } }) })
  fastify.get('/reserved', async (_req, reply) => {
    const init = JSON.parse('{"status":400,"detail":"real","extensions":{"__proto__":{"admin":true},"constructor":{"x":1},"prototype":1,"ok":true}}')
    return reply.problem(init)
  })
  fastify.get('/collide', async (_req, reply) => {
    // A helper's second argument is members only: it never sets the status,
    // the detail or the type.
    return reply.badRequest('real', { status: 200, detail: 'fake', type: 'https://e.x/p/bad', fine: 1 } as Record<string, unknown>)
  })
  fastify.get('/hostile', async () => {
    const problem = new ProblemError({ status: 400 })
    const extensions = problem.extensions as Record<string, unknown>
    Object.defineProperty(extensions, 'status', { value: 200, enumerable: true })
    Object.defineProperty(extensions, 'type', { value: 'x', enumerable: true })
    Object.defineProperty(extensions, '__proto__', { value: { admin: true }, enumerable: true })
    extensions.kept = 'yes'
    return problem
  })

  t.same((await fastify.inject('/ext')).json(), { type: 'about:blank', title: 'Conflict', status: 409, detail: 'taken', instance: '/ext', field: 'email', nested: { a: [1, 2] }, nothing: null })

  const reserved = await fastify.inject('/reserved')
  t.same(reserved.json(), { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'real', instance: '/reserved', ok: true })
  t.notMatch(reserved.body, /__proto__|constructor|prototype/)
  t.equal(({} as Record<string, unknown>).admin, undefined, 'Object.prototype untouched')

  const collide = await fastify.inject('/collide')
  t.equal(collide.statusCode, 400)
  t.same(collide.json(), { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'real', instance: '/collide', fine: 1 })

  const hostile = await fastify.inject('/hostile')
  t.equal(hostile.statusCode, 400)
  t.same(hostile.json(), { type: 'about:blank', title: 'Bad Request', status: 400, instance: '/hostile', kept: 'yes' })
  t.equal(hostile.body.match(/"status"/g)?.length, 1, 'no duplicate status member')
})

t.test('Retry-After, WWW-Authenticate and Allow come from the problem', async (t) => {
  const fastify = await app(t)
  fastify.get('/503', async () => { throw new ServiceUnavailable('Maintenance', undefined, { retryAfter: 120 }) })
  fastify.get('/503-date', async (_req, reply) => reply.serviceUnavailable(undefined, undefined, { retryAfter: new Date('2031-05-06T07:08:09Z') }))
  fastify.get('/401', async () => { throw new Unauthorized('Token expired', undefined, { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } }) })
  fastify.get('/405', async (_req, reply) => reply.methodNotAllowed(undefined, undefined, { headers: { Allow: 'GET, HEAD' } }))
  fastify.get('/405b', async () => { throw new MethodNotAllowed(undefined, undefined, { headers: { allow: 'POST' } }) })

  const unavailable = await fastify.inject('/503')
  t.equal(unavailable.statusCode, 503)
  t.equal(unavailable.headers['retry-after'], '120')
  t.equal((await fastify.inject('/503-date')).headers['retry-after'], 'Tue, 06 May 2031 07:08:09 GMT')
  t.equal((await fastify.inject('/401')).headers['www-authenticate'], 'Bearer error="invalid_token"')
  t.equal((await fastify.inject('/405')).headers.allow, 'GET, HEAD')
  t.equal((await fastify.inject('/405b')).headers.allow, 'POST')
})

t.test('problem headers that could inject or break the response are dropped', async (t) => {
  const fastify = await app(t)
  fastify.get('/', async () => {
    throw new ProblemError({
      status: 400,
      headers: {
        'x-ok': 'fine',
        'x-num': 5,
        'x-crlf': 'a\r\nSet-Cookie: evil=1',
        'bad name': 'x',
        'x-utf': 'naïve',
        'x-nan': NaN,
        'Content-Type': 'text/html',
        vary: 'Cookie'
      }
    })
  })
  const res = await fastify.inject('/')
  t.equal(res.statusCode, 400)
  t.equal(res.headers['x-ok'], 'fine')
  t.equal(res.headers['x-num'], '5')
  t.notOk('x-crlf' in res.headers)
  t.notOk('set-cookie' in res.headers)
  t.notOk('x-utf' in res.headers)
  t.notOk('x-nan' in res.headers)
  t.equal(res.headers['content-type'], 'application/problem+json', 'the plugin owns Content-Type')
  t.equal(res.headers.vary, 'Accept', 'and Vary')
})

t.test('Cache-Control: no-store on 5xx only', async (t) => {
  const fastify = await app(t)
  fastify.get('/500', async () => { throw new Error('x') })
  fastify.get('/502', async (_req, reply) => reply.badGateway())
  fastify.get('/404', async (_req, reply) => reply.notFound())
  t.equal((await fastify.inject('/500')).headers['cache-control'], 'no-store')
  t.equal((await fastify.inject('/502')).headers['cache-control'], 'no-store')
  t.notOk('cache-control' in (await fastify.inject('/404')).headers)
})

t.test('Vary: Accept is added to an existing Vary', async (t) => {
  const fastify = await app(t)
  fastify.get('/plain', async (_req, reply) => reply.notFound())
  fastify.get('/origin', async (_req, reply) => reply.header('vary', 'Origin').notFound())
  fastify.get('/has', async (_req, reply) => reply.header('vary', 'Origin, accept').notFound())
  fastify.get('/star', async (_req, reply) => reply.header('vary', '*').notFound())
  fastify.get('/list', async (_req, reply) => reply.header('vary', ['Origin']).notFound())
  fastify.get('/thrown', { onRequest: async (_req, reply) => { reply.header('vary', 'Accept-Encoding') } }, async () => { throw new NotFound() })
  t.equal((await fastify.inject('/plain')).headers.vary, 'Accept')
  t.equal((await fastify.inject('/origin')).headers.vary, 'Origin, Accept')
  t.equal((await fastify.inject('/has')).headers.vary, 'Origin, accept', 'not added twice')
  t.equal((await fastify.inject('/star')).headers.vary, '*')
  t.equal((await fastify.inject('/thrown')).headers.vary, 'Accept-Encoding, Accept', 'Accept-Encoding does not cover Accept')
  t.equal((await fastify.inject('/list')).headers.vary, 'Origin, Accept', 'an array value is joined')
})

t.test('an unexpected error answers a generic 500 that carries nothing of the original', async (t) => {
  const fastify = await app(t)
  const secrets = /hunter2|db\.internal|SELECT|\/home\/app|at \w+ \(|TypeError|ECONNREFUSED|10\.1\.2\.3/
  fastify.get('/error', async () => {
    const err = new Error('connect ECONNREFUSED 10.1.2.3:5432 postgres://admin:hunter2@db.internal/app')
    throw Object.assign(err, { code: 'ECONNREFUSED', sql: 'SELECT * FROM users', path: '/home/app/data' })
  })
  fastify.get('/type', async () => { (null as unknown as { x: number }).x = 1 })
  fastify.get('/problem500', async () => { throw new ProblemError({ status: 500, cause: new Error('hunter2') }) })
  for (const url of ['/error', '/type']) {
    const res = await fastify.inject(url)
    t.equal(res.statusCode, 500)
    t.same(res.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500, instance: url, requestId: res.json().requestId })
    t.notMatch(res.body, secrets)
  }
  const deliberate = await fastify.inject('/problem500')
  t.equal(deliberate.statusCode, 500)
  t.notMatch(deliberate.body, secrets, 'the cause of a deliberate problem is never sent')
})

t.test('exposeDetails adds message, cause chain and stack of unexpected errors', async (t) => {
  const fastify = await app(t, { exposeDetails: true })
  fastify.get('/', async () => { throw new TypeError('outer', { cause: new RangeError('inner', { cause: 'root cause' }) }) })
  fastify.get('/string', async () => { throw 'just a string' }) // eslint-disable-line no-throw-literal
  fastify.get('/expected', async (_req, reply) => reply.notFound('nope'))
  const res = await fastify.inject('/')
  t.equal(res.statusCode, 500)
  const body = res.json()
  t.equal(body.status, 500)
  t.equal(body.detail, 'outer')
  t.equal(body.debug.name, 'TypeError')
  t.equal(body.debug.message, 'outer')
  t.match(body.debug.stack, /TypeError: outer\n\s+at /)
  t.equal(body.debug.cause.name, 'RangeError')
  t.equal(body.debug.cause.message, 'inner')
  t.same(body.debug.cause.cause, { value: 'root cause' })
  const str = (await fastify.inject('/string')).json()
  t.equal(str.status, 500)
  t.same(str.debug, { value: 'just a string' })
  t.notOk('debug' in (await fastify.inject('/expected')).json(), 'expected problems are unchanged')
})

t.test('exposeDetails stops at a deep or cyclic cause chain', async (t) => {
  const fastify = await app(t, { exposeDetails: true })
  fastify.get('/', async () => {
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    ;(a as { cause?: unknown }).cause = b
    throw a
  })
  const res = await fastify.inject('/')
  t.equal(res.statusCode, 500)
  let depth = 0
  for (let node = res.json().debug; node?.cause !== undefined; node = node.cause) depth++
  t.ok(depth > 0 && depth <= 8, 'a cycle is cut off')
})

t.test('relative types resolve against typeBase; absolute and about:blank stay', async (t) => {
  const absolute = await app(t, { typeBase: 'https://api.example.com/problems' })
  absolute.get('/rel', async () => { throw new ProblemError({ status: 403, type: 'out-of-credit' }) })
  absolute.get('/abs', async () => { throw new ProblemError({ status: 403, type: 'urn:problem:credit' }) })
  absolute.get('/blank', async (_req, reply) => reply.forbidden())
  absolute.get('/unresolvable', async () => { throw new ProblemError({ status: 409, type: '//[bad', detail: 'kept' }) })
  t.equal((await absolute.inject('/rel')).json().type, 'https://api.example.com/problems/out-of-credit')
  t.equal((await absolute.inject('/rel')).json().type, 'https://api.example.com/problems/out-of-credit', 'cached answer is the same')
  t.equal((await absolute.inject('/abs')).json().type, 'urn:problem:credit')
  t.equal((await absolute.inject('/blank')).json().type, 'about:blank')

  const unresolvable = await absolute.inject('/unresolvable')
  t.equal(unresolvable.statusCode, 409, 'a type that is no URI reference does not break the response')
  t.equal(unresolvable.json().type, '//[bad', 'it is sent as given')
  t.equal(unresolvable.json().detail, 'kept')

  const path = await app(t, { typeBase: '/problems/' })
  path.get('/rel', async () => { throw new ProblemError({ status: 403, type: 'out-of-credit#x' }) })
  t.equal((await path.inject('/rel')).json().type, '/problems/out-of-credit#x')

  const none = await app(t)
  none.get('/rel', async () => { throw new ProblemError({ status: 403, type: 'out-of-credit' }) })
  t.equal((await none.inject('/rel')).json().type, 'out-of-credit', 'without typeBase a relative type is sent as it is')
})

t.test('a real client sees the same problem over HTTP', async (t) => {
  const fastify = await app(t)
  fastify.get('/', async () => { throw NotFound.forResource('User', { id: 1 }) })
  const address = await fastify.listen({ host: '127.0.0.1', port: 0 })
  const res = await fetch(address + '/?x=1')
  t.equal(res.status, 404)
  t.equal(res.headers.get('content-type'), 'application/problem+json')
  t.same(await res.json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'User with id 1 was not found', instance: '/', requestId: 'req-1', resource: 'User', key: { id: 1 } })
})
