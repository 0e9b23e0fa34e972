import net from 'node:net'
import { Writable } from 'node:stream'
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import createError from 'http-errors'
import Boom from '@hapi/boom'
import problemDetails, { BadRequest, frameworkErrors, matchLanguage, ProblemError, ServiceUnavailable, TooManyRequests, type ProblemDetailsOptions } from '../lib/index.js'
import { rawExchange, type RawResponse } from './helpers.js'

// The response is exact whatever comes in: media types as registered, an
// `instance` that is a URI reference, bodies that are JSON, headers that are
// valid HTTP. Where bytes matter, over a real socket.

async function listening (t: Test, options: ProblemDetailsOptions = {}, server: FastifyServerOptions = {}, routes?: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance, port: number }> {
  const app = Fastify(server)
  await app.register(problemDetails, options)
  routes?.(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return { app, port: (app.server.address() as net.AddressInfo).port }
}

/** One request as raw bytes; reads until the server closes the connection. */
async function raw (port: number, requestLine: string, headers = ''): Promise<RawResponse> {
  // latin1: the request line carries the bytes as written, unencoded.
  return await rawExchange(port, Buffer.from(requestLine + '\r\nHost: api.example\r\nConnection: close\r\n' + headers + '\r\n', 'latin1'), { end: false })
}

/** Log lines as objects. */
function logSink (): { lines: Array<Record<string, unknown>>, stream: Writable } {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line))
      done()
    }
  })
  return { lines, stream }
}

// RFC 3986 §4.1 URI-reference, as a regular expression over its characters:
// no character outside unreserved / reserved / pct-encoded.
const URI_REFERENCE_CHARS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#[\]]|%[0-9A-Fa-f]{2})*$/

t.test('media types exactly as registered, no parameters, on the wire', async (t) => {
  const { port } = await listening(t, {}, {}, (app) => {
    app.get('/boom', async () => { throw new BadRequest('no') })
  })
  for (const [accept, expected] of [['', 'application/problem+json'], ['Accept: application/json, application/problem+json;q=0\r\n', 'application/json'], ['Accept: application/problem+xml\r\n', 'application/problem+xml']]) {
    const res = await raw(port, 'GET /boom HTTP/1.1', accept)
    t.ok(res.headerLines.includes('Content-Type: ' + expected) || res.headerLines.includes('content-type: ' + expected), `exactly ${expected}: ${res.headerLines.join(' | ')}`)
    t.equal(res.headers['content-type'], expected)
  }
  const missing = await raw(port, 'GET /nowhere HTTP/1.1')
  t.equal(missing.headers['content-type'], 'application/problem+json', 'the not-found problem')
})

t.test('the last resort: exact media type, no-store and Vary', async (t) => {
  // frameworkErrors before the plugin is registered answers the generic problem with no moving parts.
  const app = Fastify({ frameworkErrors })
  app.get('/x', async () => 'ok')
  t.teardown(() => app.close())
  const res = await app.inject({ url: '/x%zz', headers: { accept: 'application/problem+xml' } })
  t.equal(res.statusCode, 500)
  t.equal(res.headers['content-type'], 'application/problem+json')
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers.vary, 'Accept')
  t.same(res.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500 })
})

t.test('instance and the log path: only the path of an absolute-form target', async (t) => {
  const { lines, stream } = logSink()
  const { port } = await listening(t, {}, { logger: { stream, level: 'info' } }, (app) => {
    app.get('/users/:id', async () => { throw new BadRequest('bad user') })
  })
  for (const target of ['http://admin:S3cret@internal.example/users/42?token=abc', 'http://admin:S3cret@internal.example/nowhere/42?token=abc']) {
    const res = await raw(port, `GET ${target} HTTP/1.1`)
    const body = JSON.parse(res.body)
    t.equal(body.instance, target.includes('users') ? '/users/42' : '/nowhere/42', res.statusLine)
    t.notMatch(res.body, /S3cret|admin|internal\.example|token|http:/, 'no scheme, authority, userinfo or query in the body')
  }
  const logged = lines.filter((line) => line.path !== undefined)
  t.ok(logged.length >= 2, 'problem log lines')
  for (const line of logged) {
    t.ok(line.path === '/users/42' || line.path === '/nowhere/42', `log path ${String(line.path)}`)
  }
  t.notMatch(JSON.stringify(lines.filter((line) => line.status !== undefined)), /S3cret/, 'no credentials in the problem lines')
})

t.test('instance: bytes outside a URI reference are percent-encoded, once', async (t) => {
  const { port } = await listening(t)
  const cases: Array<[string, string]> = [
    ['/x"y<z>', '/x%22y%3Cz%3E'],
    ['/a{b}|c^d`e\\f', '/a%7Bb%7D%7Cc%5Ed%60e%5Cf'],
    ['/already%20encoded', '/already%20encoded'],
    ['//evil.example/x', '/.//evil.example/x'],
    ['/[v]', '/%5Bv%5D']
  ]
  for (const [target, instance] of cases) {
    const res = await raw(port, `GET ${target} HTTP/1.1`)
    const body = JSON.parse(res.body)
    t.equal(body.instance, instance, target)
    t.match(body.instance, URI_REFERENCE_CHARS)
    t.match(body.detail, instance, 'the not-found detail names the same path')
  }
  // Node's parser refuses raw non-ASCII bytes and spaces in the target (answered by the HTTP
  // server itself); what the application gives as instance is encoded as UTF-8.
  const app = Fastify()
  await app.register(problemDetails, { instance: (request) => request.url === '/option' ? '/a b/ünï😀' : undefined })
  app.get('/own', async () => { throw new BadRequest('x', {}, { instance: 'urn:x y:"z"#a#b' }) })
  app.get('/option', async () => { throw new BadRequest('x') })
  app.get('/colon', async () => { throw new BadRequest('x', {}, { instance: 'a b:c' }) })
  app.get('/percent', async () => { throw new BadRequest('x', {}, { instance: '/100%/%41%4' }) })
  app.get('/valid', async () => { throw new BadRequest('x', {}, { instance: 'https://[::1]:8443/p?q=1#f' }) })
  t.teardown(() => app.close())
  t.equal((await app.inject('/own')).json().instance, 'urn:x%20y:%22z%22#a%23b')
  t.equal((await app.inject('/option')).json().instance, '/a%20b/%C3%BCn%C3%AF%F0%9F%98%80')
  t.equal((await app.inject('/colon')).json().instance, 'a%20b%3Ac', 'a colon that would make a scheme')
  t.equal((await app.inject('/percent')).json().instance, '/100%25/%41%254', 'a stray % encoded, a triplet kept')
  t.equal((await app.inject('/valid')).json().instance, 'https://[::1]:8443/p?q=1#f', 'a valid reference is unchanged')
})

const STANDARD_TYPES = { type: 'string', title: 'string', detail: 'string', instance: 'string' } as const

function checkBody (t: Test, res: { statusCode: number, body: string }, label: string): Record<string, unknown> {
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(res.body)
  } catch {
    t.fail(`${label}: not JSON: ${res.body}`)
    return body
  }
  t.equal(body.status, res.statusCode, `${label}: status member`)
  for (const [name, type] of Object.entries(STANDARD_TYPES)) {
    if (name in body) t.equal(typeof body[name], type, `${label}: ${name} is a ${type}`)
  }
  return body
}

t.test('never an invalid body: problems changed after construction', async (t) => {
  const odd: Array<[string, unknown]> = [
    ['undefined', undefined], ['a function', () => 'x'], ['a symbol', Symbol('s')], ['a number', 42], ['null', null], ['an object', { a: 1 }]
  ]
  const app = Fastify()
  await app.register(problemDetails)
  let current: () => ProblemError = () => new BadRequest('x')
  app.get('/', async () => { throw current() })
  t.teardown(() => app.close())
  for (const member of ['title', 'detail', 'type', 'instance', 'extensions', 'headers']) {
    for (const [what, value] of [...odd, ['a throwing getter', 'getter'] as [string, unknown]]) {
      current = () => {
        const problem = new BadRequest('the detail', { code: 'E1' })
        if (value === 'getter') Object.defineProperty(problem, member, { get () { throw new Error('no') } })
        else Object.defineProperty(problem, member, { value, configurable: true })
        return problem
      }
      const res = await app.inject('/')
      t.equal(res.statusCode, 400, `${member} = ${what}: still the 400`)
      const body = checkBody(t, res, `${member} = ${what}`)
      if (member === 'title') t.equal(body.title, 'Bad Request', 'the status phrase, as at construction')
      if (member === 'type') t.equal(body.type, 'about:blank')
      if (member === 'instance') t.equal(body.instance, '/', 'the request path, as at construction')
    }
  }
})

t.test('never an invalid body: odd request ids', async (t) => {
  const ids: Array<[string, unknown, unknown]> = [
    ['undefined', undefined, undefined], ['a number', 7, '7'], ['an object', { id: 1 }, undefined], ['a symbol', Symbol('id'), undefined], ['a string', 'req-1', 'req-1']
  ]
  for (const [what, id, expected] of ids) {
    const app = Fastify({ genReqId: () => id as string })
    await app.register(problemDetails)
    app.get('/', async () => { throw new BadRequest('x') })
    const json = await app.inject('/')
    const body = checkBody(t, json, `request id ${what}`)
    t.equal(body.requestId, expected, `requestId for ${what}`)
    const xml = await app.inject({ url: '/', headers: { accept: 'application/problem+xml' } })
    t.equal(xml.statusCode, 400)
    t.notMatch(xml.body, /undefined|\[object/, `XML for ${what}`)
    await app.close()
  }
})

t.test('Retry-After: delta-seconds capped at one year, or an IMF-fixdate of 1970–9999', async (t) => {
  const app = Fastify()
  await app.register(problemDetails)
  let current: () => unknown = () => undefined
  app.get('/', async () => { throw current() })
  t.teardown(() => app.close())
  const retryAfter = async (error: () => unknown): Promise<string | undefined> => {
    current = error
    const res = await app.inject('/')
    t.ok(res.statusCode >= 400, 'an error status')
    return res.headers['retry-after'] as string | undefined
  }
  t.equal(await retryAfter(() => new TooManyRequests('x', {}, { retryAfter: 1e21 })), '31536000', '1e21 seconds: capped')
  t.equal(await retryAfter(() => new TooManyRequests('x', {}, { retryAfter: 2.2 })), '3', 'rounded up')
  t.equal(await retryAfter(() => new TooManyRequests('x', {}, { retryAfter: -5 })), undefined, 'negative: left out')
  t.equal(await retryAfter(() => new TooManyRequests('x', {}, { retryAfter: Number.NaN })), undefined)
  t.equal(await retryAfter(() => new ServiceUnavailable('x', {}, { retryAfter: new Date(8.64e15) })), undefined, 'year 275760: left out')
  t.equal(await retryAfter(() => new ServiceUnavailable('x', {}, { retryAfter: new Date(-1) })), undefined, 'before 1970: left out')
  t.equal(await retryAfter(() => new ServiceUnavailable('x', {}, { retryAfter: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)) })), 'Wed, 02 Jan 2030 03:04:05 GMT')
  // From a problem's own headers and from http-errors and Boom headers.
  const headerCases: Array<[unknown, string | undefined]> = [
    ['120', '120'], [' 60 ', '60'], ['99999999999999', '31536000'], ['-5', undefined], ['NaN', undefined], ['1e+21', undefined], ['', undefined],
    ['Sat, 13 Sep 275760 00:00:00 GMT', undefined], ['Wed, 02 Jan 2030 03:04:05 GMT', 'Wed, 02 Jan 2030 03:04:05 GMT'],
    ['Mon, 02 Jan 2030 03:04:05 GMT', 'Wed, 02 Jan 2030 03:04:05 GMT'], ['Sunday, 06-Nov-94 08:49:37 GMT', undefined], [30, '30'], [-1, undefined]
  ]
  for (const [value, expected] of headerCases) {
    t.equal(await retryAfter(() => new ProblemError({ status: 503, headers: { 'Retry-After': value as string } })), expected, `problem header ${String(value)}`)
    t.equal(await retryAfter(() => createError(503, 'x', { headers: { 'Retry-After': value } })), expected, `http-errors ${String(value)}`)
    const boom = Boom.serverUnavailable('x')
    boom.output.headers['Retry-After'] = value as string
    t.equal(await retryAfter(() => boom), expected, `Boom ${String(value)}`)
  }
  // An error carrying retryAfter (a circuit breaker's): the same rule.
  t.equal(await retryAfter(() => Object.assign(new Error('open'), { retryAfter: 1e21 })), '31536000')
})

t.test('framing and representation headers never pass from a problem or an upstream error', async (t) => {
  const dropped = {
    'Content-Encoding': 'gzip',
    'Content-Range': 'bytes 0-10/100',
    'Content-Location': '/elsewhere',
    'Content-Length': '1',
    'Transfer-Encoding': 'chunked',
    'Content-MD5': 'Q2hlY2sgSW50ZWdyaXR5IQ==',
    Digest: 'sha-256=abc',
    'Content-Digest': 'sha-256=:abc:',
    'Repr-Digest': 'sha-256=:abc:',
    ETag: '"v1"',
    'Last-Modified': 'Wed, 02 Jan 2030 03:04:05 GMT',
    Connection: 'close',
    'Keep-Alive': 'timeout=1',
    Upgrade: 'websocket',
    Trailer: 'x-checksum',
    TE: 'trailers',
    Vary: 'Cookie',
    'Content-Language': 'fr'
  }
  const kept = { 'WWW-Authenticate': 'Bearer', 'X-Custom': 'yes' }
  let current: () => unknown = () => undefined
  const { port } = await listening(t, {}, {}, (app) => {
    app.get('/', async () => { throw current() })
    app.get('/route-set', async (_request, reply) => {
      reply.header('content-encoding', 'gzip').header('etag', '"success-etag"').header('last-modified', 'Wed, 02 Jan 2030 03:04:05 GMT').header('set-cookie', 'route=1')
      throw new BadRequest('after all')
    })
  })
  const sources: Array<[string, () => unknown]> = [
    ['a problem', () => new ProblemError({ status: 401, headers: { ...dropped, ...kept } })],
    ['http-errors', () => createError(401, 'x', { headers: { ...dropped, ...kept, 'Set-Cookie': 'upstream=secret' } })],
    ['Boom', () => { const b = Boom.unauthorized('x'); Object.assign(b.output.headers, dropped, kept, { 'Set-Cookie': 'upstream=secret' }); return b }]
  ]
  for (const [label, source] of sources) {
    current = source
    const res = await raw(port, 'GET / HTTP/1.1')
    t.equal(res.statusLine, 'HTTP/1.1 401 Unauthorized', label)
    for (const name of Object.keys(dropped)) {
      const lower = name.toLowerCase()
      if (lower === 'content-length' || lower === 'vary' || lower === 'connection') continue
      t.equal(res.headers[lower], undefined, `${label}: no ${name}`)
    }
    t.equal(res.headers.vary, 'Accept', `${label}: Vary is the plugin's`)
    t.equal(res.headers.connection, 'close', `${label}: Connection is the server's`)
    t.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body), `${label}: the real length`)
    t.equal(res.headers['www-authenticate'], 'Bearer', `${label}: WWW-Authenticate passes`)
    t.equal(res.headers['x-custom'], 'yes', `${label}: other headers pass`)
    t.equal(res.headers['set-cookie'], undefined, `${label}: no Set-Cookie`)
    checkBody(t, { statusCode: 401, body: res.body }, label)
  }
  // A problem's own Set-Cookie is deliberate (clearing a session on 401).
  current = () => new ProblemError({ status: 401, headers: { 'Set-Cookie': 'session=; Max-Age=0' } })
  t.equal((await raw(port, 'GET / HTTP/1.1')).headers['set-cookie'], 'session=; Max-Age=0', 'a problem\'s own Set-Cookie')
  // 416's unsatisfied-range Content-Range (RFC 9110 §14.4) is the one kept.
  current = () => new ProblemError({ status: 416, headers: { 'Content-Range': 'bytes */1234' } })
  t.equal((await raw(port, 'GET / HTTP/1.1')).headers['content-range'], 'bytes */1234', '416: bytes */length')
  current = () => createError(416, { headers: { 'Content-Range': 'bytes 0-1/1234' } })
  t.equal((await raw(port, 'GET / HTTP/1.1')).headers['content-range'], undefined, '416: a satisfied range is not')
  // What the route set for the success it meant to send.
  const routeSet = await raw(port, 'GET /route-set HTTP/1.1')
  t.equal(routeSet.statusLine, 'HTTP/1.1 400 Bad Request')
  t.equal(routeSet.headers['content-encoding'], undefined, 'the route\'s Content-Encoding is cleared')
  t.equal(routeSet.headers.etag, undefined, 'so is its ETag')
  t.equal(routeSet.headers['last-modified'], undefined, 'and Last-Modified')
  t.equal(routeSet.headers['set-cookie'], 'route=1', 'the route\'s own cookie stays: the application set it')
  t.same(JSON.parse(routeSet.body).detail, 'after all', 'a readable, uncompressed body')
})

t.test('translations never mix languages: errors[].detail is in the Content-Language, or nothing is translated', async (t) => {
  // A stand-in with ajv-i18n's shape (`localize.de(errors)` rewrites each error's message in place).
  type AjvError = { keyword: string, message?: string }
  const messages: Record<string, string> = { de: 'muss die Eigenschaft enthalten', fr: 'requiert la propriété', es: 'debe tener la propiedad requerida' }
  const localize: Record<string, (errors: AjvError[]) => void> = {}
  for (const language of Object.keys(messages)) {
    localize[language] = (errors) => { for (const e of errors) if (e.keyword === 'required') e.message = messages[language] }
  }
  const summaries: Record<string, string> = { de: 'Die Anfrage ist ungültig', fr: 'La requête n\'est pas valide' }
  const app = Fastify()
  // Titles in German and Spanish, not in French.
  await app.register(problemDetails, { locales: { de: { 400: 'Ungültige Anfrage' }, es: { 400: 'Solicitud incorrecta' } } })
  app.problemDetails.map('FST_ERR_VALIDATION', (error: Error & { validation: AjvError[], translation?: unknown }, request) => {
    const language = matchLanguage(request.headers['accept-language'], Object.keys(localize))
    if (language !== undefined) {
      const validation = error.validation.map((e) => ({ ...e }))
      localize[language](validation)
      error.translation = { language, validation, detail: summaries[language] }
    }
    return undefined
  })
  app.post('/users', { schema: { body: { type: 'object', required: ['name'] } } }, async () => ({}))
  t.teardown(() => app.close())
  const send = async (acceptLanguage?: string) => {
    const res = await app.inject({ method: 'POST', url: '/users', payload: {}, headers: acceptLanguage === undefined ? {} : { 'accept-language': acceptLanguage } })
    t.equal(res.statusCode, 400)
    return { body: res.json(), language: res.headers['content-language'], vary: res.headers.vary }
  }
  const english = { title: 'Bad Request', detail: 'body must have required property \'name\'', errors: [{ detail: "must have required property 'name'", pointer: '#/body/name' }] }

  const de = await send('de-AT, en;q=0.5')
  t.equal(de.language, 'de')
  t.match(de.body, { title: 'Ungültige Anfrage', detail: 'Die Anfrage ist ungültig', errors: [{ detail: messages.de, pointer: '#/body/name' }] }, 'all in German')

  const fr = await send('fr')
  t.equal(fr.language, 'en', 'no French title: nothing is translated')
  t.match(fr.body, english)

  const es = await send('es')
  t.equal(es.language, 'en', 'a Spanish title but no Spanish detail for a problem that has one: nothing is translated')
  t.match(es.body, english)

  const none = await send()
  t.equal(none.language, 'en')
  t.match(none.body, english)
  t.equal(none.vary, 'Accept, Accept-Language')

  // Without the recipe's translation, the title alone is translated, as before.
  const plainApp = Fastify()
  await plainApp.register(problemDetails, { locales: { de: { 400: 'Ungültige Anfrage' } } })
  plainApp.post('/users', { schema: { body: { type: 'object', required: ['name'] } } }, async () => ({}))
  t.teardown(() => plainApp.close())
  const titleOnly = await plainApp.inject({ method: 'POST', url: '/users', payload: {}, headers: { 'accept-language': 'de' } })
  t.equal(titleOnly.json().title, 'Ungültige Anfrage')
  t.equal(titleOnly.headers['content-language'], 'de')
})
