import t from 'tap'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import problemDetails, { defineProblem, problemResponses, type ProblemDetailsOptions } from '../lib/index.js'

const Overdrawn = defineProblem({ type: 'contract-overdrawn', status: 403, title: 'Overdrawn' })
const Frozen = defineProblem({ type: 'contract-frozen', status: 403, title: 'Frozen' })

async function appWith (t: { teardown: (fn: () => unknown) => void }, options: ProblemDetailsOptions): Promise<{ app: FastifyInstance, lines: any[] }> {
  const lines: any[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb() } })
  const app = Fastify({ logger: { level: 'warn', stream } })
  await app.register(problemDetails, { typeBase: '/problems/', ...options })
  app.get('/typed', { schema: { response: { 200: { type: 'string' }, ...problemResponses(Overdrawn) } } }, async (request) => {
    if ((request.query as { t?: string }).t === 'frozen') throw new Frozen()
    if ((request.query as { t?: string }).t === 'gone') throw Object.assign(new Error('gone'), { statusCode: 410 })
    throw new Overdrawn()
  })
  app.get('/any', { schema: { response: problemResponses(404) } }, async (_req, reply) => reply.notFound())
  app.get('/free', async (_req, reply) => reply.conflict())
  await app.ready()
  t.teardown(() => app.close())
  return { app, lines }
}

const contractLines = (lines: any[]): string[] => lines.filter((l) => String(l.msg).includes('contractCheck')).map((l) => l.msg)

t.test('warn (the default outside production): once per route, status and type, naming what the route declares', async (t) => {
  const { app, lines } = await appWith(t, {})
  t.equal((await app.inject('/typed')).statusCode, 403, 'a declared type: no warning')
  t.equal((await app.inject('/any')).statusCode, 404)
  t.equal((await app.inject('/free')).statusCode, 409, 'routes without response schemas are not checked')
  t.same(contractLines(lines), [])
  for (let i = 0; i < 3; i++) {
    t.equal((await app.inject('/typed?t=frozen')).statusCode, 403, 'the answer is unchanged')
    t.equal((await app.inject('/typed?t=gone')).statusCode, 410)
  }
  t.same(contractLines(lines), [
    'fastify-problem-details: contractCheck: route GET /typed answered a 403 problem of type /problems/contract-frozen, but declares at 403 only /problems/contract-overdrawn',
    'fastify-problem-details: contractCheck: route GET /typed answered a 410 problem of type about:blank, but declares responses 200, 403'
  ])
  t.equal(lines.find((l) => String(l.msg).includes('contractCheck')).level, 40, 'at warn level')
})

t.test('throw: the answer becomes a 500 a test notices, and the log says why', async (t) => {
  const { app, lines } = await appWith(t, { contractCheck: 'throw' })
  const res = await app.inject('/typed?t=frozen')
  t.equal(res.statusCode, 500)
  t.equal(res.json().status, 500)
  t.match(contractLines(lines), [/route GET \/typed answered a 403 problem of type \/problems\/contract-frozen/])
  t.equal((await app.inject('/typed')).statusCode, 403, 'declared answers are untouched')
})

t.test('false turns it off; the option is checked', async (t) => {
  const { app, lines } = await appWith(t, { contractCheck: false })
  t.equal((await app.inject('/typed?t=frozen')).statusCode, 403)
  t.same(contractLines(lines), [])
  await t.rejects(async () => { await Fastify().register(problemDetails, { contractCheck: 'loud' as never }).ready() }, /contractCheck/)
})

t.test('a status entry declares about:blank only; a ProblemDetails ref any type; a user pin its types', async (t) => {
  const Vanished = defineProblem({ type: 'contract-vanished', status: 404, title: 'Vanished' })
  const lines: any[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb() } })
  const app = Fastify({ logger: { level: 'warn', stream } })
  await app.register(problemDetails, { typeBase: '/problems/' })
  const handler = async (request: { query: unknown }): Promise<never> => {
    if ((request.query as { t?: string }).t === 'plain') throw Object.assign(new Error('x'), { statusCode: 404 })
    throw new Vanished()
  }
  app.get('/status', { schema: { response: problemResponses(404) } }, handler)
  app.get('/both', { schema: { response: problemResponses(404, Vanished) } }, handler)
  app.get('/any', { schema: { response: { 404: { $ref: 'ProblemDetails#' } } } }, handler)
  app.get('/pinned', { schema: { response: { 404: { allOf: [{ $ref: 'ProblemDetails#' }, { properties: { type: { enum: ['vanished'] } } }] } } } }, handler)
  await app.ready()
  t.teardown(() => app.close())
  for (const url of ['/status', '/status?t=plain', '/both', '/both?t=plain', '/any', '/any?t=plain', '/pinned', '/pinned?t=plain']) {
    t.equal((await app.inject(url)).statusCode, 404, url)
  }
  t.same(contractLines(lines), [
    'fastify-problem-details: contractCheck: route GET /status answered a 404 problem of type /problems/contract-vanished, but declares at 404 only about:blank',
    'fastify-problem-details: contractCheck: route GET /pinned answered a 404 problem of type /problems/contract-vanished, but declares at 404 only /problems/vanished',
    'fastify-problem-details: contractCheck: route GET /pinned answered a 404 problem of type about:blank, but declares at 404 only /problems/vanished'
  ])
})

t.test('entries the check cannot read in full: an allOf that pins nothing, getters that throw', async (t) => {
  const lines: any[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb() } })
  const app = Fastify({ logger: { level: 'warn', stream } })
  // A serializer compiler that reads no schema, as a type provider's may.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  await app.register(problemDetails, { typeBase: '/problems/' })
  const unreadable = {
    get allOf (): never { throw new Error('not readable') },
    get items (): never { throw new Error('not readable') }
  }
  app.get('/loose', { schema: { response: { 404: { allOf: [{ $ref: 'ProblemDetails#' }, { properties: { type: { type: 'string' } } }] } } } },
    async () => { throw new (defineProblem({ type: 'contract-loose', status: 404, title: 'Loose' }))() })
  app.get('/odd', { schema: { response: { 404: { anyOf: [{ $ref: 'ProblemDetails#' }, unreadable] } } } }, async (_req, reply) => reply.notFound())
  await app.ready()
  t.teardown(() => app.close())
  t.equal((await app.inject('/loose')).statusCode, 404)
  t.equal((await app.inject('/odd')).statusCode, 404)
  t.same(contractLines(lines), [], 'an allOf without a type pin declares what its ProblemDetails does: any type; the unreadable part is skipped')
})
