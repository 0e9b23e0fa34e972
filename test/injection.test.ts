import t from 'tap'
import { connect } from 'node:net'
import { type FastifyInstance } from 'fastify'
import createError from 'http-errors'
import { XMLParser } from 'fast-xml-parser'
import { Conflict, MethodNotAllowed, ProblemError, TooManyRequests, Unauthorized, defineProblem } from '../lib/index.js'
import { build, type Teardown } from './helpers.js'

/**
 * Injection: what a problem carries (headers, extension members) and what the
 * request carries (its path) can neither add response headers, nor pollute
 * prototypes, nor overwrite the standard members (RFC 9457 §3.1), nor break
 * out of the JSON or XML document.
 */

async function app (t: Teardown, register: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const server = await build(t, { compat: 'fastify' })
  register(server)
  await server.ready()
  return server
}

/** The problem in a response, whichever format was negotiated (JSON, or XML where it is served). */
function problemOf (res: { body: string, headers: Record<string, unknown> }): Record<string, unknown> {
  if (/^application\/problem\+xml/.test(String(res.headers['content-type']))) {
    return (new XMLParser({ ignoreAttributes: true, processEntities: true }).parse(res.body) as { problem: Record<string, unknown> }).problem
  }
  return JSON.parse(res.body) as Record<string, unknown>
}

/** The raw response head, as the wire carries it: no client parsing in between. */
async function rawHead (port: number, path: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => { data += chunk })
    socket.on('end', () => resolve(data.slice(0, data.indexOf('\r\n\r\n'))))
    socket.on('error', reject)
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
  })
}

const CRLF_VALUES = [
  'Bearer realm="api"\r\nSet-Cookie: injected=1',
  'GET\nx-injected: 1',
  'x\rx-injected: 1',
  'x\u0000y',
  'Bearer realm="ünïcödé"',
  '\u2028',
  'x\r\n\r\n<html>smuggled</html>'
]

t.test('header values with CR, LF, NUL or non-ASCII are dropped, and the problem is still sent', async (t) => {
  const server = await app(t, (server) => {
    server.get('/www/:i', async (request) => {
      throw new Unauthorized('Log in', undefined, { headers: { 'WWW-Authenticate': CRLF_VALUES[Number((request.params as { i: string }).i)], 'x-kept': 'yes' } })
    })
    server.get('/allow/:i', async (request, reply) => reply.methodNotAllowed('Not here', undefined, { headers: { allow: CRLF_VALUES[Number((request.params as { i: string }).i)] } }))
    server.get('/http-errors/:i', async (request) => {
      throw createError(429, 'Slow down', { headers: { 'retry-after': CRLF_VALUES[Number((request.params as { i: string }).i)] } })
    })
    server.get('/name', async () => {
      throw new ProblemError({ status: 400, headers: { 'x-a\r\nx-injected': '1', 'x é': '2', '': '3', 'x-ok': '4' } })
    })
  })
  for (let i = 0; i < CRLF_VALUES.length; i++) {
    // Described by index: U+2028 in a test name would break the TAP stream itself.
    for (const [path, status, header] of [['/www', 401, 'www-authenticate'], ['/allow', 405, 'allow'], ['/http-errors', 429, 'retry-after']] as const) {
      const res = await server.inject(`${path}/${i}`)
      t.equal(res.statusCode, status, `${path}, bad value ${i}: the status is kept`)
      t.equal(res.json().status, status)
      t.equal(res.headers[header], undefined, `${path}, bad value ${i}: the bad ${header} is dropped`)
      t.equal(res.headers['x-injected'], undefined)
      t.equal(res.headers['set-cookie'], undefined)
    }
  }
  const kept = await server.inject('/www/0')
  t.equal(kept.headers['x-kept'], 'yes', 'a good header beside a bad one is kept')
  const names = await server.inject('/name')
  t.equal(names.statusCode, 400)
  t.equal(names.headers['x-injected'], undefined)
  t.equal(names.headers['x-ok'], '4', 'bad header names are dropped, good ones kept')
})

t.test('on the wire, no injected header line or body appears (real server)', async (t) => {
  const server = await app(t, (server) => {
    server.get('/', async () => {
      throw new Unauthorized('Log in', undefined, { headers: { 'WWW-Authenticate': 'Bearer\r\nSet-Cookie: injected=1\r\n\r\n<html>smuggled', Allow: 'GET\nx-injected: 1' } })
    })
  })
  await server.listen({ port: 0, host: '127.0.0.1' })
  const head = await rawHead((server.server.address() as { port: number }).port, '/')
  t.match(head, /^HTTP\/1\.1 401 /)
  t.notMatch(head, /injected|smuggled/i)
  t.match(head, /content-type: application\/problem\+json/i)
})

t.test('Retry-After comes only from seconds or a date', async (t) => {
  const server = await app(t, (server) => {
    server.get('/:v', async (request) => {
      const v = (request.params as { v: string }).v
      const retryAfter = v === 'date' ? new Date('2030-01-01T00:00:00Z') : v === 'bad-date' ? new Date('nope') : v === 'string' ? '1\r\nx-injected: 1' : Number(v)
      throw new TooManyRequests('Slow down', undefined, { retryAfter: retryAfter as number })
    })
  })
  const cases: Array<[string, string | undefined]> = [
    ['30', '30'], ['1.2', '2'], ['date', 'Tue, 01 Jan 2030 00:00:00 GMT'],
    ['-1', undefined], ['NaN', undefined], ['Infinity', undefined], ['bad-date', undefined], ['string', undefined]
  ]
  for (const [v, expected] of cases) {
    const res = await server.inject(`/${v}`)
    t.equal(res.statusCode, 429)
    t.equal(res.headers['retry-after'], expected, `retryAfter ${v}`)
    t.equal(res.headers['x-injected'], undefined)
  }
})

t.test('a problem cannot replace the headers that make it a problem', async (t) => {
  const server = await app(t, (server) => {
    server.get('/', async () => {
      throw new Conflict('taken', undefined, { headers: { 'content-type': 'text/html', 'Content-Length': '1', 'transfer-encoding': 'chunked', vary: '*', 'content-language': 'xx' } })
    })
  })
  const res = await server.inject('/')
  t.equal(res.statusCode, 409)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.equal(res.headers['content-language'], undefined)
  t.equal(res.headers['transfer-encoding'], undefined)
  t.match(res.headers.vary, /Accept/)
  t.equal(res.json().detail, 'taken', 'the body is complete')
})

t.test('extension members cannot pollute prototypes or overwrite standard members', async (t) => {
  // JSON.parse makes `__proto__` an own member, as a request body would.
  const hostile = JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"},' +
    '"status":200,"requestId":"forged",' +
    '"statusCode":200,"error":"OK","message":"evil","code":"EVIL","balance":30}') as Record<string, unknown>
  const server = await app(t, (server) => {
    server.get('/thrown', async () => {
      const problem = new Conflict('real detail', { balance: 30 })
      // Extensions changed after construction are filtered at send time too.
      // In an init, type/title/instance are the problem's own; as extension members they must not win.
      Object.assign(problem.extensions, hostile, { type: 'https://evil.example/', title: 'Evil', detail: 'evil', instance: '/evil' })
      throw problem
    })
    server.get('/helper', async (_request, reply) => reply.problem({ status: 409, detail: 'real detail', extensions: hostile }))
    server.get('/mapped', async () => { throw new TypeError('mapped') })
    server.problemDetails.map(TypeError, () => ({ status: 409, detail: 'real detail', extensions: hostile }))
  })
  for (const path of ['/thrown', '/helper', '/mapped']) {
    for (const accept of ['application/problem+json', 'application/problem+xml']) {
      const res = await server.inject({ url: path, headers: { accept } })
      t.equal(res.statusCode, 409, `${path} ${accept}`)
      const xml = /xml/.test(String(res.headers['content-type']))
      t.match(res.headers['content-type'], /^application\/problem\+(json|xml)/)
      t.equal(res.body.match(xml ? /<status>/g : /"status":/g)?.length, 1, `${path}: one status member`)
      t.equal(res.body.match(xml ? /<type>/g : /"type":/g)?.length, 1, `${path}: one type member`)
      const body = problemOf(res)
      t.equal(Number(body.status), 409)
      t.equal(body.detail, 'real detail')
      t.not(body.title, 'Evil')
      t.not(body.requestId, 'forged', `${path}: the request id cannot be forged`)
      t.not(body.type, 'https://evil.example/')
      t.equal(Number(body.statusCode), 409, 'compat members follow the problem')
      t.not(body.message, 'evil')
      t.notOk(Object.prototype.hasOwnProperty.call(body, '__proto__'), `${path}: no __proto__ member`)
      t.notOk(Object.prototype.hasOwnProperty.call(body, 'constructor'), `${path}: no constructor member`)
      t.notOk(Object.prototype.hasOwnProperty.call(body, 'prototype'), `${path}: no prototype member`)
      t.equal(Number(body.balance), 30, 'ordinary extension members are kept')
    }
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched')
})

t.test('instance is the path as received, escaped in JSON and XML, without the query string', async (t) => {
  const server = await app(t, (server) => {
    server.get('/*', async () => { throw new Conflict('x') })
  })
  const paths = ['/a"b', '/a\\b', '/</instance><x>', '/%22%3Cscript%3E', '/a&amp;b', "/a'b", '/\u2028\u2029']
  for (const [i, path] of paths.entries()) {
    const json = await server.inject(`${path}?token=QUERY_SECRET&x="y"`)
    t.equal(json.statusCode, 409, `path ${i}`)
    const body = json.json()
    t.notOk(body.instance.includes('?'), `path ${i}: no query string`)
    t.notOk(json.body.includes('QUERY_SECRET'))
    const xml = await server.inject({ url: `${path}?token=QUERY_SECRET`, headers: { accept: 'application/problem+xml' } })
    const parsed = problemOf(xml)
    t.equal(Number(parsed.status), 409, `path ${i}: the ${String(xml.headers['content-type'])} document is intact`)
    t.equal(parsed.instance, body.instance, `path ${i}: every format carries the same instance`)
    t.notOk(xml.body.includes('QUERY_SECRET'))
  }
})

t.test('the not-found detail escapes the path it echoes', async (t) => {
  const server = await app(t, () => {})
  const res = await server.inject('/"}<script>alert(1)</script>?token=QUERY_SECRET')
  t.equal(res.statusCode, 404)
  const body = res.json()
  t.equal(body.status, 404)
  t.notOk(res.body.includes('QUERY_SECRET'))
  t.match(res.headers['content-type'], /^application\/problem\+json/, 'never rendered as HTML')
})

t.test('catalogue pages escape what they show and what the request asked for', async (t) => {
  const Marked = defineProblem({ type: 'injection-test-<b>', status: 409, title: 'A <script>alert(1)</script> title', description: 'Uses "quotes" & <tags>' })
  const server = await build(t, { typeBase: '/problems/', typeDocs: true })
  server.problemDetails.document(Marked)
  await server.ready()
  const index = await server.inject({ url: '/problems/', headers: { accept: 'text/html' } })
  t.equal(index.statusCode, 200)
  t.notOk(index.body.includes('<script>alert(1)</script>'), 'a title is escaped in the index')
  t.ok(index.body.includes('&lt;script&gt;'), 'and shown as text')
  const missing = await server.inject({ url: '/problems/<script>alert(1)</script>', headers: { accept: 'text/html' } })
  t.notOk(missing.body.includes('<script>alert(1)</script>'), 'an unknown page does not echo markup')
})

t.test('MethodNotAllowed without an Allow value stays a valid 405', async (t) => {
  const server = await app(t, (server) => {
    server.get('/', async () => { throw new MethodNotAllowed('no', undefined, { headers: { allow: 42.5 as unknown as string } }) })
  })
  const res = await server.inject('/')
  t.equal(res.statusCode, 405)
  t.equal(res.json().status, 405)
})

t.test('nested members named __proto__, constructor or prototype are left out of XML, which XML clients would refuse or map onto prototypes', async (t) => {
  const nested = JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":1,"prototype":2,"kept":3}') as Record<string, unknown>
  const server = await app(t, (server) => {
    server.get('/', async () => { throw new Conflict('x', { nested, list: [nested] }) })
  })
  const res = await server.inject({ url: '/', headers: { accept: 'application/problem+xml' } })
  t.match(res.headers['content-type'], /^application\/problem\+xml/)
  t.notMatch(res.body, /__proto__|<constructor>|<prototype>/)
  const body = problemOf(res) as { nested: { kept: number }, list: { i: { kept: number } } }
  t.equal(body.nested.kept, 3, 'the other nested members are kept')
  t.equal(body.list.i.kept, 3)
  t.equal(({} as Record<string, unknown>).polluted, undefined)
})

t.test('a request id taken from a request header (requestIdHeader) is escaped like any request data', async (t) => {
  const server = await build(t, {}, { requestIdHeader: 'x-request-id' })
  server.get('/', async () => { throw new Conflict('x') })
  const forged = '"},"status":200,"x":"</requestId><status>200</status>&amp;'
  for (const accept of ['application/problem+json', 'application/problem+xml']) {
    const res = await server.inject({ url: '/', headers: { accept, 'x-request-id': forged } })
    t.equal(res.statusCode, 409, accept)
    const body = problemOf(res)
    t.equal(Number(body.status), 409, `${accept}: the status cannot be forged`)
    t.equal(body.requestId, forged, `${accept}: the id is carried as text`)
  }
})
