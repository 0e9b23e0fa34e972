// The `network` preset against real upstream failures: a closed loopback port,
// a server that accepts and never answers, one that resets every connection,
// one that sends headers and stalls, and a name that cannot resolve; called
// with global fetch, undici and node:http.
import t from 'tap'
import http from 'node:http'
import { Writable } from 'node:stream'
import { request as undiciRequest, errors as undiciErrors } from 'undici'
import type { FastifyInstance } from 'fastify'
import createError from 'http-errors'
import { build, closedPort, listenRaw } from './helpers.js'

type Test = Pick<typeof t, 'teardown' | 'same'>

function httpGet (options: http.RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(options, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve(body))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}

/** Upstream ports for one test file. */
interface Upstreams {
  closed: number
  silent: number
  reset: number
  stalled: number
}

async function upstreams (t: Test): Promise<Upstreams> {
  return {
    closed: await closedPort(),
    // Accepts and never writes a byte.
    silent: await listenRaw(t, () => {}),
    // Accepts and destroys the connection before answering.
    reset: await listenRaw(t, (socket) => { socket.resetAndDestroy() }),
    // Sends a complete header block with a body length, then nothing.
    stalled: await listenRaw(t, (socket) => {
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\ncontent-type: text/plain\r\n\r\npartial'))
    })
  }
}

/** The upstream calls under test: each route lets the client's error escape. */
function routes (app: FastifyInstance, up: Upstreams): void {
  const url = (port: number): string => `http://127.0.0.1:${port}/secret-path?token=abc`
  app.get('/fetch/refused', async () => fetch(url(up.closed)))
  app.get('/fetch/reset', async () => fetch(url(up.reset)))
  app.get('/fetch/timeout', async () => fetch(url(up.silent), { signal: AbortSignal.timeout(20) }))
  app.get('/http/refused', async () => httpGet({ host: '127.0.0.1', port: up.closed, path: '/secret-path' }))
  app.get('/http/reset', async () => httpGet({ host: '127.0.0.1', port: up.reset, path: '/secret-path' }))
  app.get('/http/timeout', async () => httpGet({ host: '127.0.0.1', port: up.silent, path: '/secret-path', signal: AbortSignal.timeout(20) }))
  app.get('/http/notfound', async () => httpGet({ host: 'upstream.invalid', port: 80, path: '/secret-path' }))
  app.get('/undici/refused', async () => undiciRequest(url(up.closed)))
  app.get('/undici/headers-timeout', async () => undiciRequest(url(up.silent), { headersTimeout: 20 }))
  app.get('/undici/body-timeout', async () => {
    const res = await undiciRequest(url(up.stalled), { bodyTimeout: 20 })
    return res.body.text()
  })
  // A connect timeout needs an address that drops SYNs, which loopback never
  // does: undici's own error class, as its connector raises it.
  app.get('/undici/connect-timeout', async () => { throw new undiciErrors.ConnectTimeoutError() })
  app.get('/wrapped', async () => {
    try {
      return await fetch(url(up.closed))
    } catch (err) {
      throw new Error('the inventory service failed', { cause: err })
    }
  })
  app.get('/cause-not-an-error', async () => { throw new Error('upstream said no', { cause: 'ECONNREFUSED' }) })
  app.get('/cause-too-deep', async () => {
    let err: unknown = await fetch(url(up.closed)).catch((e: unknown) => e)
    for (let i = 0; i < 4; i++) err = new Error(`layer ${i}`, { cause: err })
    throw err
  })
  app.get('/own-status-http-errors', async () => {
    const err = await fetch(url(up.closed)).catch((e: unknown) => e)
    throw createError(404, 'No such order', { cause: err })
  })
  app.get('/own-status', async () => {
    const err = await fetch(url(up.closed)).catch((e: unknown) => e)
    throw Object.assign(new Error('Not Found'), { statusCode: 404, cause: err })
  })
}

/**
 * Node's system errors that a loopback test cannot provoke, built with the
 * fields Node gives them (`code`, `errno`, `syscall`, and the address that
 * failed): EAI_AGAIN is a resolver outage, ETIMEDOUT a connect that the
 * kernel gave up on, EHOSTUNREACH/ENETUNREACH a missing route.
 */
function systemError (code: string, syscall: string): Error {
  return Object.assign(new Error(`${syscall} ${code} upstream.example.com 10.1.2.3:443`), {
    code, errno: -1, syscall, hostname: 'upstream.example.com', address: '10.1.2.3', port: 443
  })
}
const SHAPED = ['EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']

function assertNoLeak (t: Test, body: string, up: Upstreams): void {
  const secrets = ['127.0.0.1', String(up.closed), String(up.silent), String(up.reset), String(up.stalled),
    'secret-path', 'token', 'upstream.invalid', 'upstream.example.com', '10.1.2.3', 'fetch failed', 'inventory', 'hang up', 'other side']
  t.same(secrets.filter((secret) => body.includes(secret)), [], 'no host, port, URL or message of the upstream call')
}

const expected: Array<[string, number]> = [
  ['/fetch/refused', 503],
  ['/http/refused', 503],
  ['/undici/refused', 503],
  ['/http/notfound', 503],
  ['/fetch/reset', 502],
  ['/http/reset', 502],
  ['/fetch/timeout', 504],
  ['/http/timeout', 504],
  ['/undici/headers-timeout', 504],
  ['/undici/body-timeout', 504],
  ['/undici/connect-timeout', 504],
  ['/wrapped', 503]
]

const details: Record<number, string> = {
  502: 'A service this API depends on did not give a valid answer',
  503: 'A service this API depends on is not available; retry later',
  504: 'A service this API depends on did not answer in time'
}

t.test('with the network preset, upstream failures become 502/503/504 problems that name nothing of the upstream', async (t) => {
  const up = await upstreams(t)
  const app = await build(t, { presets: ['network'] })
  routes(app, up)
  for (const code of SHAPED) app.get(`/shaped/${code}`, async () => { throw systemError(code, code === 'EAI_AGAIN' ? 'getaddrinfo' : 'connect') })

  for (const [path, status] of expected) {
    const res = await app.inject(path)
    t.equal(res.statusCode, status, `${path} answers ${status}`)
    t.equal(res.headers['content-type'], 'application/problem+json')
    t.equal(res.headers['cache-control'], 'no-store')
    t.same(res.json(), { type: 'about:blank', title: http.STATUS_CODES[status], status, detail: details[status], instance: path, requestId: res.json().requestId }, `${path} body`)
    assertNoLeak(t, res.body, up)
  }

  const statusOf: Record<string, number> = { EAI_AGAIN: 503, ETIMEDOUT: 504, EHOSTUNREACH: 503, ENETUNREACH: 503 }
  for (const code of SHAPED) {
    const res = await app.inject(`/shaped/${code}`)
    t.equal(res.statusCode, statusOf[code], `${code} answers ${statusOf[code]}`)
    t.equal(res.json().detail, details[statusOf[code]])
    assertNoLeak(t, res.body, up)
  }

  const own = await app.inject('/own-status')
  t.equal(own.statusCode, 404, 'an error with a status of its own keeps it, whatever its cause')
  t.equal((await app.inject('/cause-not-an-error')).statusCode, 500, 'a cause that is not an object is not a code')
  t.equal((await app.inject('/cause-too-deep')).statusCode, 500, 'the cause chain is followed four levels deep, no further')
  const httpError = await app.inject('/own-status-http-errors')
  t.equal(httpError.statusCode, 404, 'an http-errors error keeps its status, whatever its cause')
  t.equal(httpError.json().detail, 'No such order')
})

t.test('the 5xx log line carries the client error with its code and cause; the response does not', async (t) => {
  const up = await upstreams(t)
  const lines: Array<Record<string, any>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()))
      callback()
    }
  })
  const app = await build(t, { presets: ['network'] }, { logger: { level: 'info', stream } })
  routes(app, up)
  const res = await app.inject('/fetch/refused')
  t.equal(res.statusCode, 503)
  const problemLines = lines.filter((line) => line.status === 503)
  t.equal(problemLines.length, 1, 'one line for the error')
  t.equal(problemLines[0].level, 50, 'at error level')
  t.match(problemLines[0].err.message, /^fetch failed/)
  t.match(JSON.stringify(problemLines[0].err), /ECONNREFUSED/, 'with the code of the cause')
})

t.test('without the preset every upstream failure is the generic 500', async (t) => {
  const up = await upstreams(t)
  const app = await build(t)
  routes(app, up)
  for (const code of SHAPED) app.get(`/shaped/${code}`, async () => { throw systemError(code, 'connect') })
  for (const [path] of [...expected, ...SHAPED.map((code) => [`/shaped/${code}`])]) {
    const res = await app.inject(path)
    t.equal(res.statusCode, 500, `${path} answers 500`)
    t.same(res.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500, instance: path, requestId: res.json().requestId })
    assertNoLeak(t, res.body, up)
  }
})
