/* eslint-disable no-throw-literal */
import t, { type Test } from 'tap'
import { type FastifyInstance } from 'fastify'
import { ProblemError, NotFound, type ProblemDetailsOptions } from '../lib/index.js'
import { build } from './helpers.js'

async function app (t: Test, options: ProblemDetailsOptions = {}): Promise<FastifyInstance> {
  const fastify = await build(t, { requestIdMember: false, ...options })
  fastify.get('/health', async () => ({ ok: true }))
  return fastify
}

/** A Proxy whose every trap throws: the most hostile value a route can throw. */
function hostileProxy (): object {
  const trap = (): never => { throw new Error('trap') }
  return new Proxy(new Error('inside'), {
    get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap, set: trap
  })
}

function revokedProxy (): object {
  const { proxy, revoke } = Proxy.revocable(new Error('x'), {})
  revoke()
  return proxy
}

function cyclic (): object {
  const err = new Error('cycle') as Error & { self?: unknown, cause?: unknown }
  err.self = err
  err.cause = err
  return err
}

/** Values a route throws: each must answer a generic 500. */
const thrown: Array<[string, () => unknown]> = [
  ['a string', () => 'x'],
  ['null', () => null],
  ['undefined', () => undefined],
  ['a number', () => 42],
  ['a symbol', () => Symbol('s')],
  ['a BigInt', () => 10n],
  ['a function', () => function thrower () {}],
  ['an array', () => [1, 2]],
  ['a plain object', () => ({ message: 'secret' })],
  ['an object without a prototype', () => Object.assign(Object.create(null), { statusCode: 'nope' })],
  ['a statusCode of 200', () => Object.assign(new Error('secret'), { statusCode: 200 })],
  ['a statusCode string', () => Object.assign(new Error('secret'), { statusCode: '404' })],
  ['a statusCode NaN', () => Object.assign(new Error('secret'), { statusCode: NaN })],
  ['a statusCode 4.5e2', () => Object.assign(new Error('secret'), { statusCode: 450.5 })],
  ['a statusCode object', () => Object.assign(new Error('secret'), { statusCode: { valueOf: () => 404 } })],
  ['a throwing statusCode', () => Object.defineProperty(new Error('secret'), 'statusCode', { get () { throw new Error('getter') }, enumerable: true })],
  ['a throwing code', () => Object.defineProperty(new Error('secret'), 'code', { get () { throw new Error('getter') } })],
  ['a throwing message', () => Object.defineProperty(new Error('x'), 'message', { get () { throw new Error('getter') } })],
  ['a hostile Proxy', hostileProxy],
  ['a revoked Proxy', revokedProxy],
  ['a cycle', cyclic],
  ['a Boom look-alike with a bad output', () => ({ isBoom: true, output: { statusCode: 'x' } })],
  ['an http-errors look-alike with a bad status', () => ({ status: 99, expose: true, message: 'secret' })]
]

t.test('anything thrown answers a valid generic 500, and the server keeps serving', async (t) => {
  const fastify = await app(t)
  let index = 0
  fastify.get('/throw/:i', async (req) => { throw thrown[Number((req.params as { i: string }).i)][1]() })
  for (const [name] of thrown) {
    const res = await fastify.inject(`/throw/${index++}`)
    t.equal(res.statusCode, 500, name)
    t.equal(res.headers['content-type'], 'application/problem+json')
    t.same(res.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500, instance: `/throw/${index - 1}` }, `${name}: generic`)
    t.notMatch(res.body, /secret|inside|getter|trap/)
  }
  t.equal((await fastify.inject('/health')).statusCode, 200)
})

t.test('thrown from a hook, too', async (t) => {
  const fastify = await app(t)
  fastify.get('/hook', { onRequest: async () => { throw null } }, async () => 'never')
  fastify.get('/pre', { preHandler: async () => { throw hostileProxy() } }, async () => 'never')
  t.equal((await fastify.inject('/hook')).statusCode, 500)
  t.equal((await fastify.inject('/pre')).statusCode, 500)
})

t.test('exposeDetails survives odd throws', async (t) => {
  const fastify = await app(t, { exposeDetails: true })
  fastify.get('/throw/:i', async (req) => { throw thrown[Number((req.params as { i: string }).i)][1]() })
  for (let i = 0; i < thrown.length; i++) {
    const res = await fastify.inject(`/throw/${i}`)
    t.equal(res.statusCode, 500, thrown[i][0])
    t.equal(res.json().status, 500)
  }
})

t.test('extension members that cannot be serialized never crash the response', async (t) => {
  const fastify = await app(t)
  const cycle: Record<string, unknown> = { name: 'loop' }
  cycle.self = cycle
  fastify.get('/', async () => {
    const problem = new ProblemError({
      status: 409,
      detail: 'odd members',
      extensions: {
        big: 12345678901234567890n,
        nestedBig: { n: 1n, list: [2n] },
        cycle,
        fn: () => 1,
        sym: Symbol('s'),
        undef: undefined,
        badJson: { toJSON () { throw new Error('toJSON') } },
        ok: 'kept'
      }
    })
    Object.defineProperty(problem.extensions, 'getter', { get () { throw new Error('getter') }, enumerable: true })
    throw problem
  })
  const res = await fastify.inject('/')
  t.equal(res.statusCode, 409)
  const body = res.json()
  t.equal(body.status, 409)
  t.equal(body.detail, 'odd members')
  t.equal(body.big, '12345678901234567890', 'a BigInt is written as a decimal string')
  t.same(body.nestedBig, { n: '1', list: ['2'] })
  t.equal(body.ok, 'kept')
  for (const gone of ['cycle', 'fn', 'sym', 'undef', 'badJson', 'getter']) t.notOk(gone in body, `${gone} is left out`)
})

t.test('extensions held in a hostile Proxy', async (t) => {
  const fastify = await app(t)
  fastify.get('/', async () => {
    const problem = new NotFound('x')
    Object.defineProperty(problem, 'extensions', { value: hostileProxy() })
    Object.defineProperty(problem, 'headers', { value: hostileProxy() })
    throw problem
  })
  const res = await fastify.inject('/')
  t.equal(res.statusCode, 404)
  t.same(res.json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'x', instance: '/' })
})

t.test('mappers that misbehave answer 500 and the server keeps serving', async (t) => {
  const fastify = await app(t)
  class Throws extends Error {}
  class ThrowsNull extends Error {}
  class BadStatus extends Error {}
  class HugeStatus extends Error {}
  class Primitive extends Error {}
  class Fn extends Error {}
  class ProxyResult extends Error {}
  fastify.problemDetails.map(Throws, () => { throw new Error('mapper bug') })
  fastify.problemDetails.map(ThrowsNull, () => { throw null })
  fastify.problemDetails.map(BadStatus, () => ({ status: 200, detail: 'fine?' }))
  fastify.problemDetails.map(HugeStatus, () => ({ status: 9999 }))
  fastify.problemDetails.map(Primitive, () => 'not a problem' as never)
  fastify.problemDetails.map(Fn, () => (() => 1) as never)
  fastify.problemDetails.map(ProxyResult, () => hostileProxy() as never)
  const cases: Array<[string, Error, string | undefined]> = [
    ['a mapper that throws', new Throws('secret'), undefined],
    ['a mapper that throws null', new ThrowsNull('secret'), undefined],
    ['a non-error status', new BadStatus('secret'), 'fine?'],
    ['a status out of range', new HugeStatus('secret'), undefined],
    ['a string', new Primitive('secret'), undefined],
    ['a function', new Fn('secret'), undefined],
    ['a hostile Proxy', new ProxyResult('secret'), undefined]
  ]
  let i = 0
  fastify.get('/:i', async (req) => { throw cases[Number((req.params as { i: string }).i)][1] })
  for (const [name, , detail] of cases) {
    const res = await fastify.inject(`/${i++}`)
    t.equal(res.statusCode, 500, name)
    const body = res.json()
    t.equal(body.status, 500, `${name}: the body agrees`)
    t.equal(body.title, 'Internal Server Error')
    t.equal(body.detail, detail)
    t.notMatch(res.body, /secret|mapper bug/)
  }
  t.equal((await fastify.inject('/health')).statusCode, 200)
})

t.test('a real server survives a burst of hostile throws', async (t) => {
  const fastify = await app(t)
  fastify.get('/throw/:i', async (req) => { throw thrown[Number((req.params as { i: string }).i)][1]() })
  const address = await fastify.listen({ host: '127.0.0.1', port: 0 })
  const responses = await Promise.all(thrown.map((_, i) => fetch(`${address}/throw/${i}`)))
  for (const res of responses) {
    t.equal(res.status, 500)
    t.equal(((await res.json()) as { status: number }).status, 500)
  }
  const health = await fetch(address + '/health')
  t.equal(health.status, 200)
  t.same(await health.json(), { ok: true })
})

t.test('a BigInt request id is written as a decimal string, as BigInt members are', async (t) => {
  const fastify = await build(t, {}, { genReqId: () => 10n as unknown as string })
  fastify.get('/', async (_req, reply) => reply.notFound('x'))
  const res = await fastify.inject('/')
  t.equal(res.statusCode, 404, 'the problem itself')
  t.equal(res.headers['content-type'], 'application/problem+json')
  t.same(res.json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'x', instance: '/', requestId: '10' })
})

t.test('a validation error of any shape answers its errors without throwing', async (t) => {
  const fastify = await app(t)
  let thrown: { validation: unknown, validationContext: unknown } = { validation: undefined, validationContext: undefined }
  fastify.get('/v', async () => { throw Object.assign(new Error('invalid'), { code: 'FST_ERR_VALIDATION', statusCode: 400, ...thrown }) })
  const errorsOf = async (validation: unknown, validationContext: unknown): Promise<unknown> => {
    thrown = { validation, validationContext }
    const res = await fastify.inject('/v')
    t.equal(res.statusCode, 400)
    return res.json().errors
  }
  t.same(await errorsOf('nope', 'body'), [])
  t.same(await errorsOf([null, 'x', { instancePath: 5, message: 3 }], 'query'), [{ detail: 'is not valid', pointer: '#/querystring' }])
  t.same(await errorsOf([{ instancePath: '/a~b', message: 'bad', params: null }], 'cookies'), [{ detail: 'bad', pointer: '#/body/a~b' }], 'an unknown part falls back to body')
  t.same(await errorsOf([{ instancePath: '', message: 'missing', params: { missingProperty: 'a/b' } }], undefined), [{ detail: 'missing', pointer: '#/body/a~1b' }])
})

t.test('odd shapes of the errors the built-ins know', async (t) => {
  const fastify = await app(t)
  fastify.get('/validation', async () => { throw { code: 'FST_ERR_VALIDATION', validation: 'not a list' } })
  fastify.get('/boom', async () => { throw { isBoom: true, output: { statusCode: 409, headers: 'x', payload: null } } })
  fastify.get('/headers', async () => {
    const problem = new ProblemError({ status: 429, headers: { 'x-ok': '1' } })
    Object.defineProperty(problem.headers, 'x-bad', { get () { throw new Error('getter') }, enumerable: true })
    throw problem
  })
  t.same((await fastify.inject('/validation')).json(), { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'The request is not valid', instance: '/validation', errors: [] })
  const boom = await fastify.inject('/boom')
  t.equal(boom.statusCode, 409)
  t.notOk('detail' in boom.json())
  const headers = await fastify.inject('/headers')
  t.equal(headers.statusCode, 429)
  t.equal(headers.headers['x-ok'], '1', 'a throwing header getter skips that header only')
  t.notOk('x-bad' in headers.headers)
})
