// The extend and onProblem options: every kind of problem, what they may not
// change, and what happens when they fail.
import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import { type FastifyInstance, type FastifyRequest } from 'fastify'
import { NotFound, OptionError, type ProblemDetailsOptions } from '../lib/index.js'
import { assertProblem } from '../lib/testing/index.js'
import { build, type Teardown } from './helpers.js'

type Line = Record<string, unknown> & { level: number, msg: string }

async function app (t: Teardown, options: ProblemDetailsOptions): Promise<{ app: FastifyInstance, lines: Line[] }> {
  const lines: Line[] = []
  const stream = new Writable({
    write (chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line))
      done()
    }
  })
  const fastify = await build(t, options, { logger: { level: 'info', stream } })
  class GatewayError extends Error {}
  fastify.problemDetails.map(GatewayError, () => ({ status: 502, title: 'Payment gateway failed' }))
  fastify.get('/helper', async (_req, reply) => reply.notFound('No user 7', { id: 7 }))
  fastify.get('/thrown', async () => { throw new NotFound('No user 8') })
  fastify.get('/mapped', async () => { throw new GatewayError('upstream said no') })
  fastify.get('/unexpected', async () => { throw new Error('db-7 down') })
  fastify.get('/init', async (_req, reply) => reply.problem({ status: 409, title: 'Taken', extensions: { tenant: 'own' } }))
  fastify.get('/validated', { schema: { querystring: { type: 'object', required: ['q'], properties: { q: { type: 'string' } } } } }, async () => 'ok')
  fastify.get('/broken', async () => {
    const problem = new NotFound('x')
    // An unreadable detail is left out now; an unreadable status leaves nothing to send but the last resort.
    Object.defineProperty(problem, 'status', { get () { throw new Error('unreadable') } })
    throw problem
  })
  return { app: fastify, lines }
}

// Conformance-checker warnings (which carry `route`) are test/conformance.test.ts's.
const warnings = (lines: Line[]) => lines.filter((l) => l.level === 40 && (l as { route?: unknown }).route === undefined)
const errors = (lines: Line[]) => lines.filter((l) => l.level === 50 && /option/.test(l.msg))

t.test('extend adds members to every problem the app answers', async (t) => {
  const seen: Array<Record<string, unknown>> = []
  const { app: fastify } = await app(t, {
    extend (request, problem) {
      seen.push({ url: request.url, ...problem })
      return { timestamp: '2025-01-01T00:00:00.000Z', tenant: 'acme' }
    }
  })
  for (const [url, status] of [['/helper', 404], ['/thrown', 404], ['/mapped', 502], ['/unexpected', 500], ['/validated', 400], ['/no-route', 404]] as const) {
    await assertProblem(await fastify.inject(url), { status, timestamp: '2025-01-01T00:00:00.000Z', tenant: 'acme' })
  }
  await assertProblem(await fastify.inject('/init'), { tenant: 'own', timestamp: '2025-01-01T00:00:00.000Z' })
  t.pass("the problem's own member wins over extend's")
  t.match(seen[0], { url: '/helper', type: 'about:blank', title: 'Not Found', status: 404, detail: 'No user 7', instance: '/helper', id: 7, requestId: String })

  const xml = await fastify.inject({ url: '/helper', headers: { accept: 'application/problem+xml' } })
  t.match(xml.body, /<timestamp>2025-01-01T00:00:00.000Z<\/timestamp><tenant>acme<\/tenant><\/problem>$/, 'in XML too')
})

t.test('extend cannot change a standard member, the status or the members the plugin owns', async (t) => {
  const { app: fastify, lines } = await app(t, {
    extend: () => ({ status: 200, type: 'https://evil.example/', title: 'OK', detail: 'x', instance: '/x', requestId: 'forged', traceId: 'forged', __proto__: { polluted: true }, headers: { 'set-cookie': 'a' }, kept: 1 })
  })
  const res = await fastify.inject({ url: '/helper', headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } })
  t.equal(res.statusCode, 404)
  const problem = await assertProblem(res, { type: 'about:blank', title: 'Not Found', detail: 'No user 7', instance: '/helper', kept: 1, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', headers: undefined })
  t.equal(problem.requestId, 'req-1')
  t.equal(res.headers['set-cookie'], undefined)
  await fastify.inject('/helper')
  const names = warnings(lines).map((l) => /returned "(\w+)"/.exec(l.msg)?.[1])
  t.same(names.sort(), ['detail', 'headers', 'instance', 'requestId', 'status', 'title', 'traceId', 'type'], 'one development warning per ignored name, not one per request')
})

t.test('no development warning in production', async (t) => {
  const env = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  t.teardown(() => { process.env.NODE_ENV = env })
  const { app: fastify, lines } = await app(t, { extend: () => ({ status: 200, kept: 1 }) })
  await assertProblem(await fastify.inject('/helper'), { status: 404, kept: 1 })
  t.same(warnings(lines), [])
})

t.test('extend returning nothing usable adds nothing', async (t) => {
  for (const returned of [undefined, null, 'x', 42, ['a'], Promise.resolve({ late: 1 })]) {
    const { app: fastify, lines } = await app(t, { extend: () => returned as never })
    const problem = await assertProblem(await fastify.inject('/helper'), { late: undefined })
    t.same(Object.keys(problem), ['type', 'title', 'status', 'detail', 'instance', 'requestId', 'id'], String(returned))
    t.equal(warnings(lines).length, returned === undefined ? 0 : 1, 'a warning unless undefined')
  }
  const hostile = new Proxy({}, { ownKeys () { throw new Error('trap') } })
  const { app: proxied } = await app(t, { extend: () => hostile })
  await assertProblem(await proxied.inject('/helper'), { status: 404 })
  const getter = { ok: 1, get bad (): never { throw new Error('getter') } }
  const { app: withGetter } = await app(t, { extend: () => getter })
  await assertProblem(await withGetter.inject('/helper'), { ok: 1, bad: undefined })
  const values = { big: 10n, cycle: {} as Record<string, unknown>, fn: () => 1 }
  values.cycle.self = values.cycle
  const { app: odd } = await app(t, { extend: () => values })
  await assertProblem(await odd.inject('/helper'), { big: '10', cycle: undefined, fn: undefined })
  t.pass('values that cannot be serialized are left out, as extension members are')
})

t.test('a throwing extend costs the response only its members, logged once per cause', async (t) => {
  let calls = 0
  const { app: fastify, lines } = await app(t, {
    extend () {
      calls++
      throw new Error(calls > 2 ? 'another cause' : 'tenant lookup failed')
    }
  })
  for (let i = 0; i < 3; i++) await assertProblem(await fastify.inject('/helper'), { status: 404, detail: 'No user 7', id: 7 })
  await assertProblem(await fastify.inject('/unexpected'), { status: 500 })
  const failures = warnings(lines).filter((l) => /extend option threw/.test(l.msg))
  t.same(failures.map((l) => (l.err as { message: string }).message), ['tenant lookup failed', 'another cause'])
  t.equal(failures[0].reqId, 'req-1', 'through the request logger')
})

t.test('onProblem is called once per problem, after the response is decided', async (t) => {
  const calls: Array<{ problem: Record<string, unknown>, url: string, error: unknown }> = []
  let thrown: unknown
  const { app: fastify, lines } = await app(t, {
    extend: () => ({ timestamp: 'now' }),
    onProblem (problem, request: FastifyRequest, error) {
      calls.push({ problem: { ...problem }, url: request.url, error })
      ;(problem as Record<string, unknown>).status = 200 // changes nothing
    }
  })
  fastify.addHook('onError', async (_req, _reply, err) => { thrown = err })
  const helper = await fastify.inject('/helper')
  await assertProblem(helper, { status: 404, timestamp: 'now' })
  t.equal(calls.length, 1)
  t.match(calls[0], { url: '/helper', error: undefined, problem: { type: 'about:blank', status: 404, detail: 'No user 7', id: 7, timestamp: 'now', requestId: 'req-1' } })

  await assertProblem(await fastify.inject('/unexpected'), { status: 500 })
  t.equal(calls[1].error, thrown, 'the error is what was thrown')
  t.equal(calls[1].problem.detail, undefined, 'the problem is what the client got, not the message')

  await assertProblem(await fastify.inject('/mapped'), { status: 502 })
  t.match(calls[2], { problem: { status: 502, title: 'Payment gateway failed' }, error: { message: 'upstream said no' } })
  await assertProblem(await fastify.inject('/no-route'), { status: 404 })
  await assertProblem(await fastify.inject('/validated'), { status: 400 })
  t.match(calls[4].error, { code: 'FST_ERR_VALIDATION' })

  const broken = await fastify.inject('/broken')
  await assertProblem(broken, { status: 500, title: 'Internal Server Error' })
  t.same(calls[5].problem, { type: 'about:blank', title: 'Internal Server Error', status: 500 }, 'the last resort too')
  t.equal(calls.length, 6, 'once per problem')
  t.same(errors(lines), [])
})

t.test('a failing onProblem never delays, changes or breaks the response', async (t) => {
  let n = 0
  const { app: fastify, lines } = await app(t, {
    onProblem (_problem, request) {
      n++
      if (request.url === '/thrown') throw new Error('sentry down')
      if (request.url === '/mapped') return Promise.reject(new Error('metrics down'))
      if (request.url === '/unexpected') return new Promise(() => {}) // never settles
      return { then () { throw new Error('odd thenable') } }
    }
  })
  for (let i = 0; i < 2; i++) {
    await assertProblem(await fastify.inject('/thrown'), { status: 404, detail: 'No user 8' })
    await assertProblem(await fastify.inject('/mapped'), { status: 502 })
    await assertProblem(await fastify.inject('/unexpected'), { status: 500 })
    await assertProblem(await fastify.inject('/helper'), { status: 404 })
  }
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(n, 8)
  const failures = errors(lines).map((l) => [l.msg, (l.err as { message: string }).message])
  t.same(failures, [
    ['fastify-problem-details: the onProblem option threw', 'sentry down'],
    ['fastify-problem-details: the onProblem option rejected', 'metrics down'],
    ['fastify-problem-details: the onProblem option threw', 'odd thenable']
  ], 'sync throws and rejections, each cause logged once')
})

t.test('onProblem works over a real socket and with an async function', async (t: Test) => {
  const counts = new Map<number, number>()
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  const { app: fastify } = await app(t, {
    async onProblem (problem) {
      await gate
      counts.set(problem.status as number, (counts.get(problem.status as number) ?? 0) + 1)
    }
  })
  await fastify.listen({ host: '127.0.0.1', port: 0 })
  const { port } = fastify.server.address() as { port: number }
  // The promise settles only after the response arrived: were it awaited, this would hang.
  await assertProblem(await fetch(`http://127.0.0.1:${port}/helper`), { status: 404 })
  t.same([...counts], [], 'the response came first')
  release()
  await new Promise((resolve) => setImmediate(resolve))
  t.same([...counts], [[404, 1]])
})

t.test('the new options are validated like the others', async (t) => {
  for (const [options, pattern] of [
    [{ extend: 'x' }, /option "extend" must be a function \(got "x"\)/],
    [{ onProblem: {} }, /option "onProblem" must be a function \(got an object\)/],
    [{ extend: null }, /option "extend" must be a function \(got null\)/],
    [{ traceIdMember: 'type' }, /option "traceIdMember" must be false or a member name/],
    [{ traceIdMember: true }, /traceIdMember/],
    [{ traceIdMember: 'a b' }, /traceIdMember/],
    [{ traceIdMember: '' }, /traceIdMember/],
    [{ traceIdMember: 'requestId' }, /nor the requestIdMember/],
    [{ requestIdMember: 'traceId', traceIdMember: 'traceId' }, /nor the requestIdMember/]
  ] as const) {
    const failed = await build(t, options as never).then(() => undefined, (err: unknown) => err)
    t.ok(failed instanceof OptionError, JSON.stringify(options))
    t.match((failed as Error).message, pattern)
  }
  await build(t, { requestIdMember: 'traceId', traceIdMember: 'trace_id' })
  const renamed = await build(t, { requestIdMember: 'traceId' })
  renamed.get('/', async (_req, reply) => reply.notFound())
  await assertProblem(await renamed.inject({ url: '/', headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } }), { traceId: 'req-1' })
  t.pass('a request-id member named traceId keeps its name; the default trace-id member steps aside')
  await build(t, { traceIdMember: false, extend: undefined, onProblem: undefined })
  t.pass('valid combinations register')
})
