import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { NotFound, ProblemError, type ProblemDetailsOptions } from '../lib/index.js'
import { build } from './helpers.js'

interface LogLine {
  level: number
  msg: string
  reqId?: string
  status?: number
  type?: string
  method?: string
  path?: string
  detail?: string
  err?: { type?: string, message?: string, stack?: string } | string
  mapperError?: { name?: string, message?: string, stack?: string } | string
}

/** The `message` of a logged error field, or undefined when it was logged as a string. */
function messageOf (field: LogLine['err']): string | undefined {
  return typeof field === 'object' ? field.message : undefined
}

const LEVEL = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }

/** An app whose pino output is captured line by line. */
async function logged (t: Test, options: ProblemDetailsOptions = {}): Promise<{ app: FastifyInstance, lines: LogLine[] }> {
  const lines: LogLine[] = []
  const stream = new Writable({
    write (chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line))
      done()
    }
  })
  const app = await build(t, options, { loggerInstance: pino({ level: 'trace' }, stream), disableRequestLogging: true })
  app.get('/boom', async () => { throw new Error('database password is hunter2') })
  app.get('/limited', async (_req, reply) => reply.tooManyRequests('slow down', undefined, { retryAfter: 5 }))
  app.get('/missing', async () => { throw new NotFound('No such user') })
  app.get('/teapot', async (_req, reply) => reply.imateapot())
  app.get('/unavailable', async () => { throw new ProblemError({ status: 503, type: 'https://e.x/p/maintenance', detail: 'Back soon' }) })
  return { app, lines }
}

/** The log lines of one request, once it has been answered. */
async function linesOf (app: FastifyInstance, lines: LogLine[], url: string): Promise<LogLine[]> {
  lines.length = 0
  await app.inject(url)
  return lines.slice()
}

t.test('one line per error, at the level of its status, with the request\'s context', async (t) => {
  const { app, lines } = await logged(t)

  const boom = await linesOf(app, lines, '/boom?token=x')
  t.equal(boom.length, 1, 'one line for an unexpected error, not two')
  t.equal(boom[0].level, LEVEL.error, '5xx at error')
  t.equal(boom[0].status, 500)
  t.equal(boom[0].type, 'about:blank')
  t.equal(boom[0].method, 'GET')
  t.equal(boom[0].path, '/boom', 'the path without its query string')
  t.equal(boom[0].reqId, 'req-1')
  t.equal(boom[0].msg, 'Internal Server Error')
  const err = boom[0].err as { message: string, stack: string }
  t.equal(err.message, 'database password is hunter2', 'the log keeps what the response hides')
  t.match(err.stack, /Error: database password is hunter2\n\s+at /, 'with the stack')

  const limited = await linesOf(app, lines, '/limited')
  t.equal(limited.length, 1)
  t.equal(limited[0].level, LEVEL.warn, '429 at warn')
  t.equal(limited[0].status, 429)
  t.equal(limited[0].reqId, 'req-2')
  t.equal(limited[0].method, 'GET')
  t.equal(limited[0].path, '/limited')

  const missing = await linesOf(app, lines, '/missing')
  t.equal(missing.length, 1)
  t.equal(missing[0].level, LEVEL.info, 'other 4xx at info')
  t.equal(missing[0].status, 404)
  t.equal(missing[0].detail, 'No such user')
  t.equal(missing[0].err, undefined, 'an expected problem is logged without a stack')

  const unknown = await linesOf(app, lines, '/nowhere')
  t.equal(unknown.length, 1, 'an unknown route logs one line')
  t.equal(unknown[0].level, LEVEL.info)
  t.equal(unknown[0].status, 404)
  t.equal(unknown[0].path, '/nowhere')

  const unavailable = await linesOf(app, lines, '/unavailable')
  t.equal(unavailable.length, 1)
  t.equal(unavailable[0].level, LEVEL.error)
  t.equal(unavailable[0].type, 'https://e.x/p/maintenance')
  t.match((unavailable[0].err as { stack: string }).stack, /\n\s+at /, 'a thrown 5xx problem keeps its stack for the log')
})

t.test('logLevels overrides per status and per class', async (t) => {
  const { app, lines } = await logged(t, { logLevels: { 404: 'warn', '4xx': 'debug', '5xx': 'fatal', 429: 'silent' } })
  t.equal((await linesOf(app, lines, '/missing'))[0].level, LEVEL.warn, 'an exact status beats its class')
  t.equal((await linesOf(app, lines, '/teapot'))[0].level, LEVEL.debug, 'the 4xx class')
  t.equal((await linesOf(app, lines, '/boom'))[0].level, LEVEL.fatal, 'the 5xx class')
  t.same(await linesOf(app, lines, '/limited'), [], 'silent writes nothing')
})

t.test('a class override does not move the 429 default', async (t) => {
  const { app, lines } = await logged(t, { logLevels: { '4xx': 'error' } })
  t.equal((await linesOf(app, lines, '/limited'))[0].level, LEVEL.warn)
  t.equal((await linesOf(app, lines, '/missing'))[0].level, LEVEL.error)
})

t.test('an error that defeats the log serializer still gets its one line', async (t) => {
  const { app, lines } = await logged(t)
  app.get('/hostile', async () => {
    const err = new Error('x')
    Object.defineProperty(err, 'stack', { get () { throw new Error('no stack for you') }, enumerable: true })
    Object.defineProperty(err, 'message', { get () { throw new Error('no message') }, enumerable: true })
    throw err
  })
  const res = await app.inject('/hostile')
  t.equal(res.statusCode, 500)
  const problemLines = lines.filter((line) => line.status === 500)
  t.equal(problemLines.length, 1)
  t.equal(problemLines[0].level, LEVEL.error)
})

t.test('a mapper that throws something the serializer cannot log', async (t) => {
  const { app, lines } = await logged(t)
  class Mapped extends Error {}
  app.problemDetails.map(Mapped, () => {
    throw new Proxy({}, { get () { throw new Error('trap') }, ownKeys () { throw new Error('trap') }, getPrototypeOf () { throw new Error('trap') } })
  })
  app.get('/mapped', async () => { throw new Mapped('x') })
  const res = await app.inject('/mapped')
  t.equal(res.statusCode, 500)
  const problemLines = lines.filter((line) => line.status === 500)
  t.equal(problemLines.length, 1, 'one line for the error, failing mapper included')
  t.equal(problemLines[0].level, LEVEL.error)
  t.equal(problemLines[0].mapperError, 'unserializable error', 'without the value that defeats pino')
  t.equal(messageOf(problemLines[0].err), 'x', 'the thrown error is still logged')
  t.equal(lines.filter((line) => line.level >= LEVEL.warn).length, 1, 'no second line about the mapper')
})

t.test('a mapper that throws: one line with the error and the mapper\'s error', async (t) => {
  const { app, lines } = await logged(t)
  class Mapped extends Error {}
  app.problemDetails.map(Mapped, () => { throw new TypeError('mapper bug') })
  app.get('/mapped', async () => { throw new Mapped('original') })
  const res = await app.inject('/mapped')
  t.equal(res.statusCode, 500)
  t.notMatch(res.body, /mapper bug|original/)
  const errorLines = lines.filter((line) => line.level >= LEVEL.warn)
  t.equal(errorLines.length, 1)
  t.equal(messageOf(errorLines[0].err), 'original')
  t.equal(messageOf(errorLines[0].mapperError), 'mapper bug')
})
