import t, { type Test } from 'tap'
import { type FastifyInstance, type FastifyReply } from 'fastify'
import sensible from '@fastify/sensible'
import { ProblemError, NotFound, type ProblemHelper } from '../lib/index.js'
import { build, expectedTitle } from './helpers.js'

async function app (t: Test): Promise<FastifyInstance> {
  const fastify = await build(t, { requestIdMember: false })
  return fastify
}

/** @fastify/sensible's 41 reply helper names: ours must be exactly these. */
const SENSIBLE_HELPERS = Object.keys(sensible.httpErrors).filter((name) => name !== 'HttpError' && name !== 'getHttpError' && name !== 'createError')

/** The status each of @fastify/sensible's helpers answers with. */
const SENSIBLE_STATUS = Object.fromEntries(SENSIBLE_HELPERS.map((helper) =>
  [helper, ((sensible.httpErrors as unknown as Record<string, () => { statusCode: number }>)[helper]()).statusCode]))

t.test('all 41 helpers, by name, status and title', async (t) => {
  t.equal(SENSIBLE_HELPERS.length, 41)
  const fastify = await app(t)
  fastify.get('/:helper', async (req, reply) => {
    const { helper } = req.params as { helper: string }
    return (reply as unknown as Record<string, ProblemHelper>)[helper].call(reply)
  })
  fastify.get('/:helper/detail', async (req, reply) => {
    const { helper } = req.params as { helper: string }
    return (reply as unknown as Record<string, ProblemHelper>)[helper].call(reply, 'Because', { field: 'email' }, { retryAfter: 3 })
  })
  for (const helper of SENSIBLE_HELPERS) {
    const status = SENSIBLE_STATUS[helper]
    const title = expectedTitle(status)
    const plain = await fastify.inject('/' + helper)
    t.equal(plain.statusCode, status, `reply.${helper}() sends ${status}`)
    t.equal(plain.headers['content-type'], 'application/problem+json')
    t.same(plain.json(), { type: 'about:blank', title, status, instance: '/' + helper })
    const detailed = await fastify.inject(`/${helper}/detail`)
    t.same(detailed.json(), { type: 'about:blank', title, status, detail: 'Because', instance: `/${helper}/detail`, field: 'email' })
    t.equal(detailed.headers['retry-after'], '3')
  }
})

t.test('helpers return the reply', async (t) => {
  const fastify = await app(t)
  let returned: unknown
  let replyRef: FastifyReply | undefined
  fastify.get('/', async (_req, reply) => {
    replyRef = reply
    returned = reply.notFound('x')
    return returned
  })
  const res = await fastify.inject('/')
  t.equal(res.statusCode, 404)
  t.equal(returned, replyRef)
})

t.test('a non-string detail is ignored at runtime', async (t) => {
  const fastify = await app(t)
  fastify.get('/', async (_req, reply) => reply.badRequest(42 as unknown as string, { n: 1 }))
  fastify.get('/bare', async (_req, reply) => reply.badRequest({ x: 1 } as unknown as string))
  t.same((await fastify.inject('/')).json(), { type: 'about:blank', title: 'Bad Request', status: 400, instance: '/', n: 1 })
  t.same((await fastify.inject('/bare')).json(), { type: 'about:blank', title: 'Bad Request', status: 400, instance: '/bare' })
})

t.test('reply.problem() with an init', async (t) => {
  const fastify = await app(t)
  fastify.get('/', async (_req, reply) => reply.problem({ status: 409, type: 'https://e.x/p/taken', title: 'Taken', detail: 'Email taken', extensions: { field: 'email' }, headers: { 'x-hint': 'login' } }))
  const res = await fastify.inject('/')
  t.equal(res.statusCode, 409)
  t.equal(res.headers['x-hint'], 'login')
  t.same(res.json(), { type: 'https://e.x/p/taken', title: 'Taken', status: 409, detail: 'Email taken', instance: '/', field: 'email' })
})

t.test('reply.problem() with a ProblemError goes through the registry, as if thrown', async (t) => {
  const fastify = await app(t)
  class Special extends NotFound {}
  fastify.problemDetails.map(Special, (err: Special) => ({ status: 410, detail: 'mapped: ' + err.detail }))
  fastify.get('/plain', async (_req, reply) => reply.problem(new ProblemError({ status: 402, detail: 'Pay up', extensions: { plan: 'pro' } })))
  fastify.get('/mapped', async (_req, reply) => reply.problem(new Special('x')))
  t.same((await fastify.inject('/plain')).json(), { type: 'about:blank', title: 'Payment Required', status: 402, detail: 'Pay up', instance: '/plain', plan: 'pro' })
  const mapped = await fastify.inject('/mapped')
  t.equal(mapped.statusCode, 410)
  t.equal(mapped.json().detail, 'mapped: x')
})

t.test('helpers work from hooks', async (t) => {
  const fastify = await app(t)
  fastify.get('/', { preHandler: async (_req, reply) => reply.unauthorized('Log in first') }, async () => 'never')
  const res = await fastify.inject('/')
  t.equal(res.statusCode, 401)
  t.equal(res.json().detail, 'Log in first')
})

// Beside @fastify/sensible, in either order: test/sensible-coexist.test.ts.

t.test('other reply decorators are not refused', async (t) => {
  const fastify = await build(t)
  fastify.decorateReply('custom', function () { return 1 })
  await fastify.ready()
  t.ok(fastify.hasReplyDecorator('custom'))
})
