import t from 'tap'
import { STATUS_CODES } from 'node:http'
import * as api from '../lib/index.js'
import {
  ProblemError, ValidationProblem,
  NotFound, Conflict, BadRequest, Forbidden, TooManyRequests, ServiceUnavailable,
  PayloadTooLarge, ContentTooLarge, UnprocessableEntity, UnprocessableContent,
  UriTooLong, URITooLong, HttpVersionNotSupported, HTTPVersionNotSupported
} from '../lib/index.js'
import { build, expectedTitle } from './helpers.js'

const exported = api as unknown as Record<string, unknown>

type StatusClass = (new (detail?: string, ext?: Record<string, unknown>) => ProblemError) & { status: number, title: string }

/** Every exported status class under every name it is exported as (aliases are the same class). */
const statusClasses: Array<[string, StatusClass]> = Object.entries(exported).filter((entry): entry is [string, StatusClass] => {
  const value = entry[1]
  return typeof value === 'function' && value !== ValidationProblem && value.prototype instanceof ProblemError &&
    typeof (value as { status?: unknown }).status === 'number'
})
const nodeCodes = Object.keys(STATUS_CODES).map(Number).filter((s) => s >= 400 && s <= 599)

/** "I'm a Teapot" → "ImATeapot": the class name a phrase gives. */
function pascal (phrase: string): string {
  return phrase.replace(/'/g, '').split(/[^A-Za-z0-9]+/).map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('')
}

t.test('the status classes cover Node\'s STATUS_CODES 400–599, titled as RFC 9110 says', async (t) => {
  t.same([...new Set(statusClasses.map(([, Class]) => Class.status))].sort((a, b) => a - b), nodeCodes, 'one class per Node error status')
  const app = await build(t)
  app.get('/:status', async (request, reply) => reply.problem({ status: Number((request.params as { status: string }).status) }))
  for (const status of [...nodeCodes, 499, 599]) {
    t.equal((await app.inject('/' + status)).json().title, expectedTitle(status), `title of ${status}`)
  }
})

t.test('one exported class per status, constructed with (detail?, extensions?)', async (t) => {
  for (const [exportName, Class] of statusClasses) {
    const title = expectedTitle(Class.status)
    t.equal(Class.title, title, `${exportName}.title`)
    t.equal(Class.name, pascal(title), `${exportName} is named after RFC 9110's phrase`)
    t.ok([pascal(title), pascal(STATUS_CODES[Class.status] as string)].some((name) => name.toLowerCase() === exportName.toLowerCase()),
      `${exportName} is exported under the RFC 9110 or Node phrase`)
    const plain = new Class()
    t.ok(plain instanceof ProblemError && plain instanceof Error)
    t.equal(plain.name, Class.name)
    t.same(plain.toJSON(), { type: 'about:blank', title, status: Class.status })
    const err = new Class('why', { extra: 1 })
    t.same(err.toJSON(), { type: 'about:blank', title, status: Class.status, detail: 'why', extra: 1 })
  }
  t.equal(PayloadTooLarge, ContentTooLarge)
  t.equal(UnprocessableEntity, UnprocessableContent)
  t.equal(UriTooLong, URITooLong)
  t.equal(HttpVersionNotSupported, HTTPVersionNotSupported)
  t.equal(new PayloadTooLarge().status, 413)
})

t.test('the extensions argument cannot change the status or detail', async (t) => {
  const err = new NotFound('gone', { status: 200, detail: 'other', id: 7 } as Record<string, unknown>)
  t.equal(err.status, 404)
  t.equal(err.detail, 'gone')
  t.same(err.extensions, { id: 7 })
  t.equal(err.statusCode, 404, 'statusCode mirrors status for other handlers')
  const typed = new NotFound(undefined, undefined, { type: 'https://e.x/p/missing', title: 'Missing', instance: '/u/1', headers: { 'x-a': '1' } })
  t.same(typed.toJSON(), { type: 'https://e.x/p/missing', title: 'Missing', status: 404, instance: '/u/1' })
  t.same(typed.headers, { 'x-a': '1' })
  t.equal(typed.message, 'Missing', 'message falls back to the title')
})

t.test('ProblemError', async (t) => {
  const cause = new Error('db down')
  const err = new ProblemError({ status: 409, type: 'conflict', title: 'Taken', detail: 'Email is taken', instance: '/u', cause, extensions: { field: 'email' }, headers: { 'x-y': 'z' } })
  t.equal(err.name, 'ProblemError')
  t.equal(err.message, 'Email is taken')
  t.equal(err.cause, cause)
  t.same(err.toJSON(), { type: 'conflict', title: 'Taken', status: 409, detail: 'Email is taken', instance: '/u', field: 'email' })
  t.same(JSON.parse(JSON.stringify(err)), err.toJSON(), 'JSON.stringify uses toJSON')
  t.same(err.headers, { 'x-y': 'z' })
  t.same(new ProblemError({ status: 418 }).toJSON(), { type: 'about:blank', title: "I'm a Teapot", status: 418 })
  t.equal(new ProblemError({ status: 400, type: '' }).type, 'about:blank', 'an empty type is about:blank')

  for (const status of [200, 302, 600, 404.5, NaN, '404' as unknown as number]) {
    const bad = new ProblemError({ status })
    t.equal(bad.status, 500, `status ${String(status)} becomes 500`)
    t.equal(bad.title, 'Internal Server Error')
  }

  const reserved = new ProblemError({ status: 400, extensions: JSON.parse('{"__proto__":{"polluted":true},"constructor":1,"prototype":2,"ok":3}') })
  t.same(reserved.extensions, { ok: 3 })
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  t.same(reserved.toJSON(), { type: 'about:blank', title: 'Bad Request', status: 400, ok: 3 })
  t.same(new ProblemError({ status: 400 }).extensions, {}, 'extensions is {} when there are none')
})

t.test('4xx problems capture no stack, 5xx problems do', async (t) => {
  const limit = Error.stackTraceLimit
  for (const err of [new NotFound('x'), new ProblemError({ status: 422 }), new BadRequest()]) {
    t.notMatch(err.stack ?? '', /\n\s+at /, `${err.name} has no stack frames`)
  }
  for (const err of [new api.InternalServerError('x'), new ProblemError({ status: 503 }), new ProblemError({ status: 42 })]) {
    t.match(err.stack ?? '', /\n\s+at /, `${err.name} ${err.status} has stack frames`)
  }
  t.equal(Error.stackTraceLimit, limit, 'Error.stackTraceLimit is restored')
})

t.test('retryAfter in seconds or as a Date becomes Retry-After', async (t) => {
  t.same(new TooManyRequests('slow down', undefined, { retryAfter: 30 }).headers, { 'retry-after': '30' })
  t.same(new ServiceUnavailable(undefined, undefined, { retryAfter: 1.2 }).headers, { 'retry-after': '2' }, 'seconds round up')
  const at = new Date('2030-01-02T03:04:05Z')
  t.same(new ServiceUnavailable(undefined, undefined, { retryAfter: at }).headers, { 'retry-after': 'Wed, 02 Jan 2030 03:04:05 GMT' })
  t.equal(new TooManyRequests(undefined, undefined, { retryAfter: -1 }).headers, undefined, 'a negative delay is ignored')
  t.equal(new TooManyRequests(undefined, undefined, { retryAfter: new Date('nope') }).headers, undefined, 'an invalid date is ignored')
  t.equal(new TooManyRequests(undefined, undefined, { retryAfter: Infinity }).headers, undefined)
  t.notOk('retryAfter' in new TooManyRequests(undefined, undefined, { retryAfter: 5 }).toJSON(), 'retryAfter is not a member')

  const app = await build(t, { requestIdMember: false, instance: false })
  app.get('/', async () => { throw new TooManyRequests('slow down', undefined, { retryAfter: 30, headers: { 'x-rate': '1' } }) })
  const res = await app.inject('/')
  t.equal(res.statusCode, 429)
  t.equal(res.headers['retry-after'], '30')
  t.equal(res.headers['x-rate'], '1')
  t.same(res.json(), { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'slow down' })
})

t.test('NotFound.forResource', async (t) => {
  const byId = NotFound.forResource('User', { id: 1 })
  t.ok(byId instanceof NotFound)
  t.same(byId.toJSON(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'User with id 1 was not found', resource: 'User', key: { id: 1 } })
  t.equal(NotFound.forResource('User', { org: 'acme', id: 2 }).detail, 'User with org "acme", id 2 was not found')
  t.equal(NotFound.forResource('User', 'bob').detail, 'User with "bob" was not found')
  t.equal(NotFound.forResource('User', 10n).detail, 'User with 10 was not found')
  t.equal(NotFound.forResource('User').detail, 'User was not found')
  t.same(NotFound.forResource('User').extensions, { resource: 'User' })
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  t.equal(NotFound.forResource('User', { k: cyclic }).detail, 'User with k ? was not found', 'an unprintable key does not throw')
})

t.test('Conflict.duplicate', async (t) => {
  const bare = Conflict.duplicate('email')
  t.ok(bare instanceof Conflict)
  t.same(bare.toJSON(), { type: 'about:blank', title: 'Conflict', status: 409, detail: 'A resource with this email already exists', field: 'email' })
  t.equal(Conflict.duplicate('email', 'a@b.c').detail, 'A resource with email "a@b.c" already exists')
  t.equal(Conflict.duplicate('n', 3).detail, 'A resource with n 3 already exists')
})

t.test('BadRequest.withField', async (t) => {
  const err = BadRequest.withField('email', 'Invalid format')
  t.ok(err instanceof BadRequest)
  t.same(err.toJSON(), {
    type: 'about:blank',
    title: 'Bad Request',
    status: 400,
    detail: 'Invalid format',
    errors: [{ detail: 'Invalid format', pointer: '#/body/email' }]
  })
  t.same(BadRequest.withField('a/b~c', 'x').extensions.errors, [{ detail: 'x', pointer: '#/body/a~1b~0c' }], 'RFC 6901 escaping')
  t.same(BadRequest.withField('#/querystring/limit', 'too big').extensions.errors, [{ detail: 'too big', pointer: '#/querystring/limit' }])
  t.same(BadRequest.withField('naïve name', 'x').extensions.errors, [{ detail: 'x', pointer: '#/body/na%C3%AFve%20name' }], 'URI fragment encoding (RFC 6901 §6)')
})

t.test('Forbidden.forAction', async (t) => {
  const err = Forbidden.forAction('Post', 'delete')
  t.ok(err instanceof Forbidden)
  t.same(err.toJSON(), { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'You are not allowed to delete this Post', resource: 'Post', action: 'delete' })
})

t.test('ValidationProblem', async (t) => {
  const errors = [{ detail: 'must be an email', pointer: '#/body/email' }, { detail: 'is required', pointer: '#/body/name', keyword: 'required' }]
  const err = new ValidationProblem(errors)
  t.ok(err instanceof ProblemError)
  t.equal(err.name, 'ValidationProblem')
  t.equal(err.status, 400)
  t.same(err.toJSON(), { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'The request is not valid', errors })
  t.equal(new ValidationProblem([], 'Nope').detail, 'Nope')
  t.same(new ValidationProblem('junk' as never).extensions.errors, [], 'a non-array becomes []')
  t.notMatch(err.stack ?? '', /\n\s+at /, 'no stack for a 400')
})

t.test('unreadable extension members are left out, never turn a problem into a 500', async (t) => {
  const members = { id: 7, get secret (): string { throw new Error('no') } }
  const unlistable = new Proxy({ id: 7 }, { ownKeys () { throw new Error('no keys') } })
  const app = await build(t)
  app.get('/class', async () => { throw new Conflict('taken', members) })
  app.get('/init', async () => { throw new ProblemError({ status: 409, extensions: members }) })
  app.get('/proxy', async () => { throw new ProblemError({ status: 409, extensions: unlistable }) })
  app.get('/sensible', async () => { throw app.httpErrors.conflict('taken', members) })
  for (const url of ['/class', '/init', '/sensible']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 409, url)
    t.equal(res.json().id, 7, `${url}: the readable member is kept`)
    t.notOk('secret' in res.json(), `${url}: the throwing getter is left out`)
  }
  const proxied = await app.inject('/proxy')
  t.equal(proxied.statusCode, 409, 'a Proxy whose keys throw: the problem without members')
  t.notOk('id' in proxied.json())
})
