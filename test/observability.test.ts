// Trace ids and spans, with the real OpenTelemetry SDK over real HTTP on
// loopback: an in-memory exporter, the AsyncLocalStorage context manager, and
// a server whose request handler runs inside a SERVER span, as
// @opentelemetry/instrumentation-http runs it; then once with @fastify/otel.
import t, { type Test } from 'tap'
import http from 'node:http'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import { context, trace, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { FastifyOtelInstrumentation } from '@fastify/otel'
import { request } from 'undici'
import problemDetails, { NotFound, ServiceUnavailable, defineProblem, type ProblemDetailsOptions } from '../lib/index.js'
import { assertProblem } from '../lib/testing/index.js'
import { bare, build } from './helpers.js'

/**
 * The environment of a child that loads dist/: with tap's coverage off
 * (@tapjs/processinfo reads `_TAPJS_PROCESSINFO_COVERAGE_`), since dist's
 * source maps point into lib/ and the child's coverage would merge with the
 * suite's as functions never called.
 */
function childEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', _TAPJS_PROCESSINFO_COVERAGE_: '0' }
  delete env.NODE_V8_COVERAGE
  return env
}

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
trace.setGlobalTracerProvider(provider)
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
const tracer = provider.getTracer('observability-test')

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`

const Overloaded = defineProblem({ type: 'observability-overloaded', status: 503, title: 'Overloaded' })

interface Served { url: string, spans: () => ReadableSpan[], lines: Array<Record<string, unknown>> }

function logStream (lines: Array<Record<string, unknown>>) {
  return new Writable({
    write (chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line))
      done()
    }
  })
}

function routes (app: FastifyInstance) {
  app.get('/helper-404', async (_req, reply) => reply.notFound('No user 7'))
  app.get('/thrown-404', async () => { throw new NotFound('No user 8') })
  app.get('/helper-500', async (_req, reply) => reply.internalServerError('Ledger offline'))
  app.get('/unexpected', async () => { throw new Error('connection to db-7 refused') })
  app.get('/string-throw', async () => { throw 'a string' }) // eslint-disable-line no-throw-literal
  app.get('/null-throw', async () => { throw null }) // eslint-disable-line no-throw-literal
  app.get('/defined-503', async () => { throw new Overloaded() })
  app.get('/busy', async () => { throw new ServiceUnavailable('Try later') })
  app.get('/validated', { schema: { querystring: { type: 'object', required: ['q'], properties: { q: { type: 'string' } } } } }, async () => 'ok')
}

/** A server whose every request runs in a SERVER span, as instrumentation-http does it. */
async function traced (t: Test, options: ProblemDetailsOptions = {}): Promise<Served> {
  const lines: Array<Record<string, unknown>> = []
  const app = Fastify({
    logger: { level: 'info', stream: logStream(lines) },
    serverFactory: (handler) => http.createServer((req, res) => {
      const span = tracer.startSpan('HTTP ' + req.method, { kind: SpanKind.SERVER })
      res.on('finish', () => span.end())
      context.with(trace.setSpan(context.active(), span), () => handler(req, res))
    })
  })
  t.teardown(() => app.close())
  await app.register(problemDetails, { typeBase: 'https://api.example.com/problems/', ...options })
  routes(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  exporter.reset()
  const { port } = app.server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, spans: () => exporter.getFinishedSpans(), lines }
}

/** The one finished span of the last request, waiting for `finish`. */
async function lastServerSpan (served: Served): Promise<ReadableSpan> {
  for (let i = 0; i < 50; i++) {
    const spans = served.spans().filter((s) => s.kind === SpanKind.SERVER)
    if (spans.length > 0) {
      exporter.reset()
      return spans[spans.length - 1]
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('no server span finished')
}

t.test('the trace id of the active span is the traceId member and on the log line', async (t) => {
  const served = await traced(t)
  const res = await request(served.url + '/helper-404', { headers: { traceparent: TRACEPARENT } })
  const problem = await assertProblem(res, { status: 404 })
  const span = await lastServerSpan(served)
  t.equal(problem.traceId, span.spanContext().traceId, 'the span wins over the traceparent header')
  t.not(problem.traceId, TRACE_ID)
  t.match(problem.traceId, /^[0-9a-f]{32}$/)
  const line = served.lines.find((l) => l.status === 404)
  t.equal(line?.traceId, problem.traceId, 'the log line carries it')
})

t.test('a 5xx records an exception event, error.type and status ERROR', async (t) => {
  const served = await traced(t)
  await assertProblem(await request(served.url + '/unexpected'), { status: 500, detail: undefined })
  const span = await lastServerSpan(served)
  t.equal(span.status.code, SpanStatusCode.ERROR)
  t.equal(span.status.message, 'connection to db-7 refused', 'the description is the exception message (semconv, recording errors)')
  t.match(span.attributes, { 'problem.type': 'about:blank', 'problem.status': 500, 'error.type': '500' })
  t.equal(span.events.length, 1)
  t.equal(span.events[0].name, 'exception')
  t.match(span.events[0].attributes, { 'exception.type': 'Error', 'exception.message': 'connection to db-7 refused' })
  t.match(span.events[0].attributes?.['exception.stacktrace'], /observability\.test/)
})

t.test('error.type is the problem type of a defined 5xx', async (t) => {
  const served = await traced(t)
  await assertProblem(await request(served.url + '/defined-503'), { status: 503, type: 'https://api.example.com/problems/observability-overloaded' })
  const span = await lastServerSpan(served)
  t.match(span.attributes, {
    'problem.type': 'https://api.example.com/problems/observability-overloaded',
    'problem.status': 503,
    'error.type': 'https://api.example.com/problems/observability-overloaded'
  })
  t.equal(span.status.code, SpanStatusCode.ERROR)
  t.match(span.events[0].attributes?.['exception.type'], /Overloaded/, 'the class defineProblem made')

  await assertProblem(await request(served.url + '/busy'), { status: 503 })
  const busy = await lastServerSpan(served)
  t.match(busy.attributes, { 'problem.type': 'about:blank', 'error.type': '503' })
  t.equal(busy.status.message, 'Try later')
})

t.test('a 5xx nothing threw still records one exception event', async (t) => {
  const served = await traced(t)
  await assertProblem(await request(served.url + '/helper-500'), { status: 500, detail: 'Ledger offline' })
  const span = await lastServerSpan(served)
  t.equal(span.status.code, SpanStatusCode.ERROR)
  t.match(span.events[0]?.attributes, { 'exception.type': 'ProblemError', 'exception.message': 'Ledger offline' })

  await assertProblem(await request(served.url + '/string-throw'), { status: 500 })
  const thrownString = await lastServerSpan(served)
  t.equal(thrownString.events[0]?.attributes?.['exception.message'], 'a string')

  await assertProblem(await request(served.url + '/null-throw'), { status: 500 })
  const thrownNull = await lastServerSpan(served)
  t.match(thrownNull.events[0]?.attributes, { 'exception.type': 'ProblemError', 'exception.message': 'Internal Server Error' })
})

t.test('a 4xx leaves the status unset and records no exception', async (t) => {
  const served = await traced(t)
  for (const [path, status] of [['/helper-404', 404], ['/thrown-404', 404], ['/validated', 400], ['/no-such-route', 404]] as const) {
    await assertProblem(await request(served.url + path), { status })
    const span = await lastServerSpan(served)
    t.equal(span.status.code, SpanStatusCode.UNSET, path + ': status unset')
    t.equal(span.events.length, 0, path + ': no exception event')
    t.match(span.attributes, { 'problem.type': 'about:blank', 'problem.status': status }, path + ': problem attributes')
    t.notOk('error.type' in span.attributes, path + ': no error.type, a 4xx is no server error')
  }
})

t.test('a span that is not recorded (sampled out) still gives its trace id', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const app = await build(t, {}, { logger: { level: 'info', stream: logStream(lines) } })
  app.get('/', async (_req, reply) => {
    const remote = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: 0 })
    return context.with(trace.setSpan(context.active(), remote), () => reply.internalServerError())
  })
  await assertProblem(await app.inject('/'), { traceId: TRACE_ID })
})

t.test('without an active span, the trace id of a valid traceparent', async (t) => {
  const app = await build(t)
  app.get('/', async (_req, reply) => reply.notFound())
  const get = (traceparent?: string | string[]) => app.inject({ url: '/', headers: traceparent === undefined ? {} : { traceparent } })
  await assertProblem(await get(TRACEPARENT), { traceId: TRACE_ID })
  await assertProblem(await get(`00-${TRACE_ID}-00f067aa0ba902b7-00`), { traceId: TRACE_ID })
  await assertProblem(await get(), { traceId: undefined })
  const invalid = {
    'upper-case hex': `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`,
    'another version': `01-${TRACE_ID}-00f067aa0ba902b7-01`,
    'version ff': `ff-${TRACE_ID}-00f067aa0ba902b7-01`,
    'an all-zero trace id': '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    'an all-zero parent id': `00-${TRACE_ID}-0000000000000000-01`,
    'a short trace id': `00-${TRACE_ID.slice(1)}-00f067aa0ba902b7-01`,
    'a trailing field': `${TRACEPARENT}-extra`,
    'no flags': `00-${TRACE_ID}-00f067aa0ba902b7`,
    'a non-hex digit': `00-${TRACE_ID.slice(0, 31)}g-00f067aa0ba902b7-01`,
    'a non-hex flag': `00-${TRACE_ID}-00f067aa0ba902b7-0x`,
    'spaces around': ` ${TRACEPARENT} `,
    'underscores for dashes': TRACEPARENT.replaceAll('-', '_')
  }
  for (const [what, value] of Object.entries(invalid)) {
    await assertProblem(await get(value), { traceId: undefined }).catch((err: Error) => t.fail(what + ': ' + err.message))
  }
  await assertProblem(await get([TRACEPARENT, TRACEPARENT]), { traceId: undefined })
  t.pass('a repeated traceparent is ignored')
})

t.test('traceIdMember names the member, false leaves it out', async (t) => {
  const named = await build(t, { traceIdMember: 'trace_id' })
  named.get('/', async (_req, reply) => reply.notFound(undefined, { traceId: 'mine' }))
  await assertProblem(await named.inject({ url: '/', headers: { traceparent: TRACEPARENT } }), { trace_id: TRACE_ID, traceId: 'mine' })

  const lines: Array<Record<string, unknown>> = []
  const off = await build(t, { traceIdMember: false }, { logger: { level: 'info', stream: logStream(lines) } })
  off.get('/', async (_req, reply) => reply.notFound(undefined, { traceId: 'mine' }))
  await assertProblem(await off.inject({ url: '/', headers: { traceparent: TRACEPARENT } }), { traceId: 'mine' })
  t.notOk('traceId' in (lines.find((l) => l.status === 404) ?? {}), 'not on the log line either')

  const plain = await build(t)
  plain.get('/', async (_req, reply) => reply.notFound(undefined, { traceId: 'spoofed' }))
  await assertProblem(await plain.inject({ url: '/', headers: { traceparent: TRACEPARENT } }), { traceId: TRACE_ID })
  await assertProblem(await plain.inject('/'), { traceId: undefined })
  t.pass('a problem cannot set the trace id member itself')
})

t.test('with @fastify/otel: the request span, 5xx ERROR, 4xx from a helper unset', async (t) => {
  const instrumentation = new FastifyOtelInstrumentation({ recordExceptions: false })
  instrumentation.setTracerProvider(provider)
  const app = bare(t)
  await app.register(instrumentation.plugin())
  await app.register(problemDetails)
  routes(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const requestSpan = async () => {
    for (let i = 0; i < 50; i++) {
      const found = exporter.getFinishedSpans().find((s) => s.name === 'request')
      if (found !== undefined) {
        exporter.reset()
        return found
      }
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    throw new Error('no request span')
  }

  exporter.reset()
  const problem = await assertProblem(await request(`http://127.0.0.1:${port}/helper-404`), { status: 404 })
  let span = await requestSpan()
  t.equal(problem.traceId, span.spanContext().traceId)
  t.equal(span.status.code, SpanStatusCode.UNSET, 'a 4xx from a reply helper leaves it unset')
  t.match(span.attributes, { 'problem.type': 'about:blank', 'problem.status': 404 }, 'on the request span, not the handler span')

  await assertProblem(await request(`http://127.0.0.1:${port}/unexpected`), { status: 500 })
  span = await requestSpan()
  t.equal(span.status.code, SpanStatusCode.ERROR)
  t.match(span.attributes, { 'problem.status': 500, 'error.type': '500', 'http.response.status_code': 500 })
  t.equal(span.events.filter((e) => e.name === 'exception').length, 1, 'one exception event: recordExceptions: false leaves it to this plugin')

  await assertProblem(await request(`http://127.0.0.1:${port}/no-such-route`), { status: 404 })
  span = await requestSpan()
  t.match(span.attributes, { 'problem.status': 404 }, 'the not-found handler too')
})

t.test('a span that breaks never breaks the response', async (t) => {
  const app = await build(t)
  app.get('/', async (_req, reply) => {
    const span = tracer.startSpan('broken') as Span
    span.setAttribute = () => { throw new Error('exporter down') }
    return context.with(trace.setSpan(context.active(), span), () => reply.internalServerError('x'))
  })
  await assertProblem(await app.inject('/'), { status: 500, detail: 'x' })
})

t.test('without @opentelemetry/api installed, traceparent still works', async (t) => {
  const fixture = fileURLToPath(new URL('./fixtures/no-otel.mjs', import.meta.url))
  const hide = fileURLToPath(new URL('./fixtures/hide-otel.mjs', import.meta.url))
  const run = spawnSync(process.execPath, ['--import', hide, fixture], { encoding: 'utf8', env: childEnv() })
  t.equal(run.stderr, '')
  t.same(JSON.parse(run.stdout), { hidden: true, traceId: TRACE_ID, absent: true })
})

t.test('loading @opentelemetry/api: absent or unusable means none', async (t) => {
  const { loadOpenTelemetry } = await import('../lib/response/trace.js')
  t.equal(await loadOpenTelemetry('@opentelemetry/no-such-package'), undefined, 'not installed')
  t.equal(await loadOpenTelemetry('node:os'), undefined, 'a module without the trace API')
  const otel = await loadOpenTelemetry()
  t.equal(otel?.errorCode, SpanStatusCode.ERROR, 'the real one')
})
