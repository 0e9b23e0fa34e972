// @fastify/sensible's error API without @fastify/sensible: every name,
// createError, assert and its siblings, reply.getHttpError and
// sharedSchemaId, answering problems (docs/migration.md#from-fastifysensible).
import t from 'tap'
import { STATUS_CODES } from 'node:http'
import fc from 'fast-check'
import { build } from './helpers.js'
import { HttpProblem, OptionError, ProblemError } from '../lib/index.js'

const NAMES: Record<string, number> = {
  badRequest: 400, unauthorized: 401, paymentRequired: 402, forbidden: 403, notFound: 404, methodNotAllowed: 405, notAcceptable: 406, proxyAuthenticationRequired: 407, requestTimeout: 408, conflict: 409, gone: 410, lengthRequired: 411, preconditionFailed: 412, payloadTooLarge: 413, uriTooLong: 414, unsupportedMediaType: 415, rangeNotSatisfiable: 416, expectationFailed: 417, imateapot: 418, misdirectedRequest: 421, unprocessableEntity: 422, locked: 423, failedDependency: 424, tooEarly: 425, upgradeRequired: 426, preconditionRequired: 428, tooManyRequests: 429, requestHeaderFieldsTooLarge: 431, unavailableForLegalReasons: 451, internalServerError: 500, notImplemented: 501, badGateway: 502, serviceUnavailable: 503, gatewayTimeout: 504, httpVersionNotSupported: 505, variantAlsoNegotiates: 506, insufficientStorage: 507, loopDetected: 508, bandwidthLimitExceeded: 509, notExtended: 510, networkAuthenticationRequired: 511
}

t.test('httpErrors.<name>(message?) for each of sensible\'s names: a problem error shaped like an HttpError', async (t) => {
  const app = await build(t, { requestIdMember: false })
  app.get('/:name', async function (request) {
    throw (this.httpErrors as unknown as Record<string, (m?: string) => Error>)[(request.params as { name: string }).name]('Because ' + (request.params as { name: string }).name)
  })
  for (const [name, status] of Object.entries(NAMES)) {
    const error = (app.httpErrors as unknown as Record<string, (m?: string) => HttpProblem>)[name]()
    t.ok(error instanceof HttpProblem && error instanceof ProblemError && error instanceof Error, name)
    t.equal(error.status, status)
    t.equal(error.statusCode, status)
    t.equal(error.expose, status < 500, 'expose as http-errors sets it')
    t.equal(error.message, STATUS_CODES[status], 'http-errors\' default message')
    t.equal(error.detail, undefined, 'a message that only repeats the phrase is no detail')
    t.equal(typeof error.name, 'string')
    const res = await app.inject('/' + name)
    t.equal(res.statusCode, status)
    t.equal(res.headers['content-type'], 'application/problem+json')
    t.equal(res.json().detail, status < 500 ? 'Because ' + name : undefined, status < 500 ? '4xx message as detail' : 'no 5xx message')
  }
  t.equal(Object.keys(app.httpErrors).filter((k) => k in NAMES).length, 41)
  t.ok(Object.isFrozen(app.httpErrors), 'nothing an app could change for another')
})

t.test('4xx capture no stack; 5xx keep theirs for the log', async (t) => {
  const app = await build(t)
  t.notMatch(app.httpErrors.notFound('x').stack ?? '', /\n\s+at /)
  t.match(app.httpErrors.internalServerError('x').stack ?? '', /\n\s+at /)
})

t.test('changed before it is thrown, the way sensible users change their errors', async (t) => {
  const app = await build(t, { requestIdMember: false })
  app.get('/headers', async function () {
    const error = this.httpErrors.serviceUnavailable('Maintenance')
    error.headers = { 'retry-after': '30' }
    error.expose = true
    throw error
  })
  app.get('/message', async function () {
    const error = this.httpErrors.conflict()
    error.message = 'Email already taken'
    throw error
  })
  app.get('/hidden', async function () {
    const error = this.httpErrors.forbidden('internal rule 7b')
    error.expose = false
    throw error
  })
  app.get('/status', async function () {
    const error = this.httpErrors.badRequest('Nope')
    ;(error as HttpProblem).statusCode = 422
    throw error
  })
  const headers = await app.inject('/headers')
  t.equal(headers.statusCode, 503)
  t.equal(headers.headers['retry-after'], '30')
  t.equal(headers.json().detail, 'Maintenance', 'expose: true shows a 5xx message')
  t.equal((await app.inject('/message')).json().detail, 'Email already taken')
  t.notOk('detail' in (await app.inject('/hidden')).json(), 'expose: false hides a 4xx message')
  const status = await app.inject('/status')
  t.equal(status.statusCode, 422)
  t.equal(status.json().title, 'Unprocessable Content')
})

t.test('createError(status, message?, props?): props are extension members, never options', async (t) => {
  const app = await build(t, { requestIdMember: false })
  app.get('/', async function () {
    throw this.httpErrors.createError(409, 'Email taken', { field: 'email', headers: { 'set-cookie': 'sid=x' }, status: 200, type: 'https://evil.example/x', title: 'Pwned', instance: '/admin', retryAfter: 9 })
  })
  const res = await app.inject('/')
  t.equal(res.statusCode, 409)
  t.notOk(res.headers['set-cookie'])
  t.notOk(res.headers['retry-after'])
  t.same(res.json(), { type: 'about:blank', title: 'Conflict', status: 409, detail: 'Email taken', instance: '/', field: 'email' })
  const any = app.httpErrors.createError as unknown as (...args: unknown[]) => HttpProblem
  t.equal(any(404).status, 404)
  t.equal(any('Just a message').status, 500, 'no status: 500, as http-errors')
  t.equal(any(200, 'not an error').status, 500)
  const cause = new Error('db')
  t.equal(any(cause, 502, 'upstream').cause, cause, 'an Error is the cause: logged, never sent')
})

t.test('property: arbitrary JSON given as props never changes the status, a standard member or a header', async (t) => {
  const app = await build(t, { requestIdMember: false })
  let props: object = {}
  app.get('/', async function () { throw this.httpErrors.createError(422, 'Invalid', props) })
  const key = fc.oneof(fc.constantFrom('status', 'statusCode', 'type', 'title', 'detail', 'instance', 'headers', 'retryAfter', 'cause', 'expose', 'message', '__proto__', 'constructor'), fc.string())
  await fc.assert(fc.asyncProperty(fc.dictionary(key, fc.jsonValue()), async (given) => {
    props = JSON.parse(JSON.stringify(given))
    const res = await app.inject('/')
    const body = res.json()
    return res.statusCode === 422 && body.status === 422 && body.title === 'Unprocessable Content' && body.type === 'about:blank' &&
      body.detail === 'Invalid' && body.instance === '/' && res.headers['set-cookie'] === undefined && res.headers['retry-after'] === undefined
  }), { numRuns: 150 })
})

t.test('assert and its siblings throw problems', async (t) => {
  const app = await build(t, { requestIdMember: false })
  const a: typeof app.assert = app.assert
  t.doesNotThrow(() => { a(true); a.ok(1); a.equal(1, '1'); a.notEqual(1, 2); a.strictEqual(1, 1); a.notStrictEqual(1, '1'); a.deepEqual({ a: [1] }, { a: [1] }); a.notDeepEqual({ a: 1 }, { a: 2 }) })
  const cases: Array<[string, () => void, number, string | undefined]> = [
    ['assert', () => a(false, 400, 'no'), 400, 'no'],
    ['ok', () => a.ok(0, 403), 403, undefined],
    ['equal', () => a.equal(1, 2, 422, 'not equal'), 422, 'not equal'],
    ['notEqual', () => a.notEqual(1, '1', 409, 'equal'), 409, 'equal'],
    ['strictEqual', () => a.strictEqual(1, '1', 400, 'strict'), 400, 'strict'],
    ['notStrictEqual', () => a.notStrictEqual(1, 1, 400, 'same'), 400, 'same'],
    ['deepEqual', () => a.deepEqual({ a: 1 }, { a: 2 }, 400, 'deep'), 400, 'deep'],
    ['notDeepEqual', () => a.notDeepEqual([1], [1], 400, 'deep same'), 400, 'deep same'],
    ['a status as a string', () => a(false, '404' as unknown as number, 'gone'), 404, 'gone'],
    ['no status: 500', () => a(false), 500, undefined]
  ]
  for (const [name, fn, status, detail] of cases) {
    const error = t.throws(fn, name) as HttpProblem
    t.ok(error instanceof HttpProblem)
    t.equal(error.status, status, name)
    t.equal(error.detail, detail, name)
  }
  app.post('/', async function (request) {
    this.assert.equal((request.body as { n?: unknown }).n, 1, 400, 'n must be 1')
    return { ok: true }
  })
  const res = await app.inject({ method: 'POST', url: '/', payload: { n: 2 } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().detail, 'n must be 1')
})

t.test('reply.getHttpError(status, message?): the reply helper of that status', async (t) => {
  const app = await build(t, { requestIdMember: false })
  app.get('/:status', async (request, reply) => reply.getHttpError((request.params as { status: string }).status as '404', 'Because'))
  for (const status of [400, 404, 418, 429, 451, 503]) {
    const res = await app.inject('/' + status)
    t.equal(res.statusCode, status)
    t.equal(res.json().detail, 'Because', 'as reply.<helper>(detail)')
  }
  t.equal((await app.inject('/200')).statusCode, 500, 'not an error status: 500')
  t.same(app.httpErrors.getHttpError('410', 'Gone for good').status, 410)
})

t.test('sharedSchemaId: $ref to sensible\'s schema id resolves to the problem schema', async (t) => {
  const app = await build(t, { sharedSchemaId: 'HttpError', requestIdMember: false })
  app.get('/', { schema: { response: { 404: { $ref: 'HttpError' }, 409: { $ref: 'HttpError#' } } } }, async (_request, reply) => reply.notFound('No such thing', { id: 7 }))
  const res = await app.inject('/')
  t.equal(res.statusCode, 404)
  t.same(res.json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such thing', instance: '/', id: 7 })
  t.match(app.getSchema('HttpError'), { $id: 'HttpError', properties: { type: {}, title: {}, status: {} } })
  for (const bad of ['', 'ProblemDetails', 42]) {
    await t.rejects(build(t, { sharedSchemaId: bad as string }), OptionError, JSON.stringify(bad))
  }
})

t.test('compat mode: Fastify\'s members for sensible\'s API too', async (t) => {
  const app = await build(t, { compat: 'fastify', requestIdMember: false })
  app.get('/', async function () { throw this.httpErrors.payloadTooLarge() })
  const body = (await app.inject('/')).json()
  t.same(body, { type: 'about:blank', title: 'Content Too Large', status: 413, instance: '/', statusCode: 413, error: 'Payload Too Large', message: 'Payload Too Large' })
})
