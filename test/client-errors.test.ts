import http from 'node:http'
import net from 'node:net'
import t, { type Test } from 'tap'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import problemDetails, { clientErrors, type ProblemDetailsOptions } from '../lib/index.js'
import { bare, build, rawExchange, type RawResponse, type Teardown } from './helpers.js'

// Errors of Node's HTTP parser never reach a route: clientErrors answers them
// on the raw socket. Tested with raw bytes against a listening Fastify.

async function listening (t: Teardown, server: FastifyServerOptions = {}, options?: ProblemDetailsOptions | false): Promise<{ app: FastifyInstance, port: number }> {
  const app = bare(t, { clientErrorHandler: clientErrors, ...server })
  if (options !== false) await app.register(problemDetails, options ?? {})
  app.get('/', async () => ({ ok: true }))
  app.post('/upload', async (request) => ({ length: String(request.body).length }))
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, port: (app.server.address() as net.AddressInfo).port }
}

/** Sends raw bytes and reads until the server closes the connection. */
const raw = rawExchange

function checkProblem (t: Test, response: RawResponse, status: number, title: string): Record<string, unknown> {
  t.equal(response.statusLine, `HTTP/1.1 ${status} ${title}`)
  t.equal(response.headers['content-type'], 'application/problem+json', 'exactly the registered media type')
  t.equal(response.headers.connection, 'close')
  t.equal(response.headers['cache-control'], 'no-store')
  t.equal(Number(response.headers['content-length']), Buffer.byteLength(response.body), 'Content-Length frames the body')
  const body = JSON.parse(response.body)
  t.equal(body.type, 'about:blank')
  t.equal(body.title, title)
  t.equal(body.status, status)
  t.type(body.detail, 'string')
  return body
}

t.test('bad bytes → 400 problem', async (t) => {
  const { port } = await listening(t)
  checkProblem(t, await raw(port, 'GARBAGE\r\n\r\n'), 400, 'Bad Request')
  checkProblem(t, await raw(port, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a])), 400, 'Bad Request')
  checkProblem(t, await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad\u0001Header: y\r\n\r\n'), 400, 'Bad Request')
  checkProblem(t, await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'), 400, 'Bad Request')
  checkProblem(t, await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), 400, 'Bad Request')
})

t.test('headers over the limit → 431 problem', async (t) => {
  const { port } = await listening(t)
  const body = checkProblem(t, await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431, 'Request Header Fields Too Large')
  t.match(body.detail, /header fields/)
})

t.test('chunk extensions over the limit → 413 problem, while the route waits for the body', async (t) => {
  const { port } = await listening(t)
  const response = await raw(port, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n' +
    `1;${'a'.repeat(20_000)}\r\nx\r\n0\r\n\r\n`)
  checkProblem(t, response, 413, 'Content Too Large')
})

t.test('a request not received in time → 408 problem', async (t) => {
  const { port } = await listening(t, {
    serverFactory: (handler) => http.createServer({ requestTimeout: 200, connectionsCheckingInterval: 50 }, handler)
  })
  const started = Date.now()
  checkProblem(t, await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n', { end: false }), 408, 'Request Timeout')
  t.ok(Date.now() - started >= 150, 'after the timeout')
})

t.test('a good request on the same server is untouched; keep-alive still works', async (t) => {
  const { port } = await listening(t)
  const response = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.equal(response.statusLine, 'HTTP/1.1 200 OK')
  t.same(JSON.parse(response.body), { ok: true })
})

t.test('compat mode adds Fastify\'s members', async (t) => {
  const { port } = await listening(t, {}, { compat: 'fastify' })
  const body = checkProblem(t, await raw(port, 'GARBAGE\r\n\r\n'), 400, 'Bad Request')
  t.equal(body.statusCode, 400)
  t.equal(body.error, 'Bad Request')
  t.equal(body.message, body.detail)
})

t.test('without the plugin registered, still a problem', async (t) => {
  const { port } = await listening(t, {}, false)
  checkProblem(t, await raw(port, 'GARBAGE\r\n\r\n'), 400, 'Bad Request')
})

t.test('a reset connection gets nothing, and the server goes on', async (t) => {
  const { port } = await listening(t)
  const socket = net.connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()))
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n')
  await new Promise((resolve) => setTimeout(resolve, 50))
  socket.resetAndDestroy()
  await new Promise((resolve) => setTimeout(resolve, 50))
  const response = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.equal(response.statusLine, 'HTTP/1.1 200 OK')
})

/** The process warnings emitted while `fn` runs. */
async function warningsDuring (fn: () => PromiseLike<unknown>): Promise<Error[]> {
  const warnings: Error[] = []
  const listener = (warning: Error) => { if (warning.name === 'FastifyProblemDetailsWarning') warnings.push(warning) }
  process.on('warning', listener)
  try {
    await fn()
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', listener)
  }
  return warnings
}

t.test('routes and plugins registered before the plugin are named in a warning at startup', async (t) => {
  const app = bare(t)
  app.get('/early', async () => { throw new Error('early secret') })
  await app.register(async (child) => {
    child.post('/orders/:id', async () => { throw new Error('early secret') })
  }, { prefix: '/v1' })
  app.get('/own-handler', { errorHandler: (_e, _r, reply) => { reply.code(418).send('mine') } }, async () => { throw new Error('x') })
  await app.register(problemDetails)
  app.get('/late', async () => { throw new Error('late secret') })
  await app.register(async (child) => { child.get('/after/:id', async () => 1) })

  const warnings = await warningsDuring(() => app.ready())
  t.equal(warnings.length, 1, 'one warning')
  const message = warnings[0]?.message ?? ''
  t.match(message, /2 routes were registered before the plugin/)
  t.match(message, /GET \/early, POST \/v1\/orders\/:id\./, 'naming each, HEAD twins left out')
  t.match(message, /Register fastify-problem-details before these routes and the plugins that define them/, 'with the fix')
  t.notMatch(message, /\/late|\/after|own-handler/, 'routes after the plugin, and a route with its own handler, are fine')
  t.equal((warnings[0] as Error & { code?: string }).code, 'FPD_EARLY_ROUTES')

  // What the warning is about: the early route answers Fastify's default, message and all.
  const early = await app.inject('/early')
  t.equal(early.headers['content-type'], 'application/json; charset=utf-8')
  t.match(early.body, /"message":"early secret"/)
  const late = await app.inject('/late')
  t.equal(late.headers['content-type'], 'application/problem+json')
  t.notMatch(late.body, /late secret/)
})

t.test('no warning when the plugin comes first', async (t) => {
  const app = await build(t, { typeBase: 'https://api.example.com/problems/', typeDocs: true })
  app.get('/a', async () => 1)
  await app.register(async (child) => { child.get('/b/:id', async () => 1) }, { prefix: '/v1' })
  t.same(await warningsDuring(() => app.ready()), [])
})

t.test('many early routes: twenty named, the rest counted', async (t) => {
  const app = bare(t)
  for (let i = 0; i < 25; i++) app.put(`/r${i}`, async () => 1)
  await app.register(problemDetails)
  const warnings = await warningsDuring(() => app.ready())
  const message = warnings[0]?.message ?? ''
  t.match(message, /25 routes were registered before the plugin .* and 5 more\./)
  t.equal(message.match(/PUT \/r\d+/g)?.length, 20)
})
