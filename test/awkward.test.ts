import t from 'tap'
import { connect } from 'node:net'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { request } from 'undici'
import { Forbidden, NotFound } from '../lib/index.js'
import { build, type Teardown } from './helpers.js'
import { logCollector } from './hostile.js'

/**
 * Errors at awkward moments: after the response has started or been sent,
 * from a serializer, on a hijacked reply, with the client gone, on the
 * not-found path, while closing. No crash, no second response, one log line.
 */

type Log = ReturnType<typeof logCollector>

async function logged (t: Teardown, forceCloseConnections = true): Promise<{ app: FastifyInstance, log: Log }> {
  const log = logCollector()
  const app = await build(t, {}, { logger: { level: 'info', stream: log.stream }, forceCloseConnections })
  app.get('/ok', async () => ({ ok: true }))
  return { app, log }
}

/** Log lines at `level` (default `error`) or above that carry `message` in their error or message. */
function errorLines (log: Log, message: string, level = 50): Array<Record<string, unknown>> {
  return log.lines.filter((line) => (line.level as number) >= level && JSON.stringify(line).includes(message))
}

async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
}

t.test('an error thrown after the reply was sent: the first response stands, the error is logged once', async (t) => {
  const { app, log } = await logged(t)
  app.get('/sent-then-throw', async (_request, reply) => {
    await reply.send({ ok: 'first' })
    throw new Error('late failure A')
  })
  app.get('/sent-then-helper', async (_request, reply) => {
    await reply.send({ ok: 'first' })
    return reply.notFound('too late')
  })

  const thrown = await app.inject('/sent-then-throw')
  t.equal(thrown.statusCode, 200)
  t.same(thrown.json(), { ok: 'first' }, 'one response: the one sent first')
  await sleep(20)
  t.equal(errorLines(log, 'late failure A').length, 1, 'one log line for the late error')

  const helper = await app.inject('/sent-then-helper')
  t.equal(helper.statusCode, 200)
  t.same(helper.json(), { ok: 'first' })
  t.equal((await app.inject('/ok')).statusCode, 200, 'still serving')
})

t.test('an error after the headers went out (a failing stream) aborts that response, and the server keeps serving', async (t) => {
  const { app, log } = await logged(t)
  app.get('/stream', async (_request, reply) => {
    let sent = false
    const stream = new Readable({
      read () {
        if (!sent) {
          sent = true
          this.push('{"items":[1,2,')
          setTimeout(() => this.destroy(new Error('stream failed midway B')), 20)
        }
      }
    })
    return reply.type('application/json').send(stream)
  })
  const base = await listen(app)

  const res = await request(base + '/stream')
  t.equal(res.statusCode, 200, 'the headers were already out')
  await t.rejects(res.body.text(), 'the body is cut off, not followed by a second response')
  await sleep(20)
  t.equal(errorLines(log, 'stream failed midway B', 40).length, 1, 'the stream error is logged once (by Fastify, at warn)')
  t.notOk(log.lines.some((line) => line.msg === 'Internal Server Error' && JSON.stringify(line).includes('stream failed midway B')), 'no problem response was attempted')
  const ok = await request(base + '/ok')
  t.equal(ok.statusCode, 200)
  await ok.body.dump()
})

t.test('a throwing serializer: the problem is sent, never through that serializer', async (t) => {
  const { app, log } = await logged(t)
  app.get('/reply-serializer', async (_request, reply) => {
    reply.serializer(() => { throw new Error('serializer exploded C') })
    return { big: 1n }
  })
  // fast-json-stringify throws for a missing required property.
  app.get('/schema', { schema: { response: { 200: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } } } }, async () => ({ name: 'x' }))
  await app.register(async (child) => {
    child.setReplySerializer(() => { throw new Error('every payload fails D') })
    child.get('/child-serializer', async () => { throw new NotFound('no such thing') })
    child.get('/child-ok', async () => ({ ok: true }))
  })

  const a = await app.inject('/reply-serializer')
  t.equal(a.statusCode, 500)
  t.equal(a.json().status, 500)
  t.equal(a.headers['content-type'], 'application/problem+json')
  t.notMatch(a.body, /exploded/)
  t.equal(errorLines(log, 'serializer exploded C').length, 1, 'one log line')

  const b = await app.inject('/schema')
  t.equal(b.statusCode, 500)
  t.equal(b.json().status, 500)

  const c = await app.inject('/child-serializer')
  t.equal(c.statusCode, 404, 'a problem does not go through the reply serializer')
  t.same(c.json().detail, 'no such thing')
  const d = await app.inject('/child-ok')
  t.equal(d.statusCode, 500, 'a payload the serializer fails on becomes a problem')
  t.equal(d.json().status, 500)
  t.equal(errorLines(log, 'every payload fails D').length, 1)
})

t.test('a hijacked reply: the route owns the response, the error is only logged', async (t) => {
  const { app, log } = await logged(t)
  app.get('/hijack-throw', async (_request, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/plain' })
    reply.raw.end('raw body')
    throw new Error('after hijack E')
  })
  app.get('/hijack-helper', async (_request, reply) => {
    reply.hijack()
    reply.raw.end('raw body')
    reply.notFound('not sent')
  })

  const a = await app.inject('/hijack-throw')
  t.equal(a.statusCode, 200)
  t.equal(a.body, 'raw body', 'one response: the raw one')
  await sleep(20)
  t.equal(errorLines(log, 'after hijack E').length, 1, 'one log line')
  const b = await app.inject('/hijack-helper')
  t.equal(b.body, 'raw body')
  t.equal((await app.inject('/ok')).statusCode, 200)
})

t.test('a client that disconnects before the error is answered, or mid-response', async (t) => {
  const { app, log } = await logged(t)
  let entered!: () => void
  const handlerEntered = new Promise<void>((resolve) => { entered = resolve })
  let finish!: () => void
  const clientGone = new Promise<void>((resolve) => { finish = resolve })
  app.get('/slow-fail', async (request) => {
    entered()
    await clientGone
    await sleep(10)
    throw new Error('failed after the client left F ' + request.id)
  })
  app.get('/big-fail', async () => {
    // A problem big enough to need several writes.
    throw new Forbidden('x', { padding: 'p'.repeat(4 * 1024 * 1024) })
  })
  const base = await listen(app)
  const port = (app.server.address() as { port: number }).port

  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  socket.write('GET /slow-fail HTTP/1.1\r\nHost: x\r\n\r\n')
  await handlerEntered
  socket.destroy()
  await sleep(20)
  finish()
  await sleep(50)
  t.equal(errorLines(log, 'failed after the client left F').length, 1, 'the error is logged once')

  // Read the first bytes of a large problem, then leave.
  await new Promise<void>((resolve) => {
    const big = connect(port, '127.0.0.1')
    big.on('error', () => {})
    big.once('data', () => { big.destroy(); resolve() })
    big.write('GET /big-fail HTTP/1.1\r\nHost: x\r\n\r\n')
  })
  await sleep(50)

  const ok = await request(base + '/ok')
  t.equal(ok.statusCode, 200, 'the server keeps serving')
  await ok.body.dump()
})

t.test('errors on the not-found path answer problems', async (t) => {
  const { app, log } = await logged(t)
  app.addHook('onRequest', async (request) => {
    if (request.headers['x-fail'] === 'forbidden') throw new Forbidden('Not for you')
    if (request.headers['x-fail'] === 'unknown') throw new Error('hook failed on unknown route G')
  })
  app.addHook('preHandler', async (request) => {
    if (request.headers['x-fail'] === 'prehandler') throw 'a string from preHandler H' // eslint-disable-line no-throw-literal
  })

  const a = await app.inject({ url: '/nowhere', headers: { 'x-fail': 'forbidden' } })
  t.equal(a.statusCode, 403)
  t.equal(a.json().detail, 'Not for you')
  t.equal(a.json().instance, '/nowhere')

  const b = await app.inject({ url: '/nowhere?q=1', headers: { 'x-fail': 'unknown' } })
  t.equal(b.statusCode, 500)
  t.same(Object.keys(b.json()).sort(), ['instance', 'requestId', 'status', 'title', 'type'])
  t.equal(errorLines(log, 'hook failed on unknown route G').length, 1, 'one log line')

  const c = await app.inject({ url: '/nowhere', headers: { 'x-fail': 'prehandler' } })
  t.equal(c.statusCode, 500)
  t.equal(c.json().status, 500)
  t.notMatch(c.body, /a string from preHandler/)

  const d = await app.inject('/nowhere')
  t.equal(d.statusCode, 404)
  t.equal(d.json().instance, '/nowhere')
})

t.test('a request that fails while the server closes still gets a problem; a failing onClose hook crashes nothing', async (t) => {
  const { app, log } = await logged(t, false)
  let entered!: () => void
  const inHandler = new Promise<void>((resolve) => { entered = resolve })
  app.get('/during-close', async () => {
    entered()
    await sleep(50)
    throw new Error('failed during close I')
  })
  app.addHook('onClose', async () => {
    throw new Error('onClose failed J')
  })
  const base = await listen(app)

  // `reset`: no keep-alive, or close() would wait for Fastify's 72 s keepAliveTimeout.
  const pending = request(base + '/during-close', { reset: true })
  await inHandler
  const closing = app.close()
  closing.catch(() => {})
  const res = await pending
  t.equal(res.statusCode, 500, 'the in-flight request is answered')
  t.equal((await res.body.json() as { status: number }).status, 500)
  t.equal(res.headers['content-type'], 'application/problem+json')
  await t.rejects(closing, /onClose failed J/, 'the onClose error surfaces from close(), where the caller sees it')
  t.equal(errorLines(log, 'failed during close I').length, 1)
  t.equal(app.server.listening, false, 'the server is closed anyway')
})

t.test('an instance option that throws a hostile value: instance is left out, the status is kept, one warning', async (t) => {
  const log = logCollector()
  const app = await build(t, {
    instance: () => {
      const { proxy, revoke } = Proxy.revocable({}, {})
      revoke()
      throw proxy
    }
  }, { logger: { level: 'info', stream: log.stream } })
  app.get('/', async (_request, reply) => reply.notFound('gone'))
  const res = await app.inject('/')
  t.equal(res.statusCode, 404, 'not turned into a 500')
  t.equal(res.json().detail, 'gone')
  t.notOk('instance' in res.json())
  t.equal(log.lines.filter((line) => line.level === 40 && String(line.msg).includes('instance option threw')).length, 1)
})

t.test('an onResponse hook that throws after a problem was sent: logged once, nothing else happens', async (t) => {
  const { app, log } = await logged(t)
  app.addHook('onResponse', async (request) => {
    if (request.url === '/fail') throw new Error('onResponse failed K')
  })
  app.get('/fail', async () => { throw new NotFound('missing') })
  const res = await app.inject('/fail')
  t.equal(res.statusCode, 404)
  t.equal(res.json().detail, 'missing')
  await sleep(20)
  t.equal(errorLines(log, 'onResponse failed K').length, 1)
  t.equal((await app.inject('/ok')).statusCode, 200)
})
