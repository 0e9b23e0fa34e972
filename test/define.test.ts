import t from 'tap'
import { Type } from '@sinclair/typebox'
import {
  defineProblem,
  problemResponses,
  ProblemError,
  RegistrationError,
  parseProblem
} from '../lib/index.js'
import { build } from './helpers.js'

// The catalogue is process-wide: every type in this file starts with "define-".

// Defined before any app exists: resolution happens per app, at response time.
const OutOfCredit = defineProblem({
  type: 'define-out-of-credit',
  status: 403,
  title: 'You do not have enough credit',
  description: 'The account balance does not cover the cost of the operation.',
  extensions: Type.Object({ balance: Type.Number(), accounts: Type.Array(Type.String()) })
})

t.test('a defined problem answers with its type resolved against typeBase and its extension members', async (t) => {
  const app = await build(t, { typeBase: 'https://api.example.com/problems/' })
  app.get('/buy', async () => {
    throw new OutOfCredit({ detail: 'Your balance is 20, the cost is 30', balance: 20, accounts: ['/a/12345'] })
  })
  const res = await app.inject('/buy?token=secret')
  t.equal(res.statusCode, 403)
  t.equal(res.headers['content-type'], 'application/problem+json')
  t.same(res.json(), {
    type: 'https://api.example.com/problems/define-out-of-credit',
    title: 'You do not have enough credit',
    status: 403,
    detail: 'Your balance is 20, the cost is 30',
    instance: '/buy',
    requestId: 'req-1',
    balance: 20,
    accounts: ['/a/12345']
  })
})

t.test('one definition serves apps with different typeBase, absolute or path-only, and none', async (t) => {
  const absolute = await build(t, { typeBase: 'https://one.example/errors' })
  const pathOnly = await build(t, { typeBase: '/problems/' })
  const none = await build(t)
  for (const app of [absolute, pathOnly, none]) {
    app.get('/x', async () => { throw new OutOfCredit({ balance: 1, accounts: [] }) })
  }
  t.equal((await absolute.inject('/x')).json().type, 'https://one.example/errors/define-out-of-credit')
  t.equal((await pathOnly.inject('/x')).json().type, '/problems/define-out-of-credit')
  t.equal((await none.inject('/x')).json().type, 'define-out-of-credit', 'without typeBase the type is sent as defined')
})

t.test('a type defined after register works, also through reply.problem()', async (t) => {
  const app = await build(t, { typeBase: '/problems/' })
  const Late = defineProblem({ type: 'define-late', status: 409, title: 'Defined late', extensions: Type.Object({ version: Type.Integer() }) })
  app.get('/late', async (_req, reply) => reply.problem(new Late({ version: 3 })))
  const res = await app.inject('/late')
  t.equal(res.statusCode, 409)
  t.same(res.json(), { type: '/problems/define-late', title: 'Defined late', status: 409, instance: '/late', requestId: 'req-1', version: 3 })
})

t.test('instances: class, name, message, stack policy, toJSON, statics', async (t) => {
  const problem = new OutOfCredit({ detail: 'short by 10', balance: 20, accounts: [] })
  t.ok(problem instanceof ProblemError)
  t.ok(problem instanceof OutOfCredit)
  t.equal(problem.name, 'DefineOutOfCreditProblem')
  t.equal(problem.message, 'short by 10')
  t.equal(problem.status, 403)
  t.equal(problem.type, 'define-out-of-credit')
  t.same(problem.extensions, { balance: 20, accounts: [] })
  t.same(problem.toJSON(), { type: 'define-out-of-credit', title: 'You do not have enough credit', status: 403, detail: 'short by 10', balance: 20, accounts: [] })
  t.notMatch(String(problem.stack), /define\.test/, 'an expected (4xx) problem captures no stack frames')

  const Broken = defineProblem({ type: 'define-upstream-broken', status: 502, title: 'Upstream broken' })
  const server = new Broken()
  t.equal(server.message, 'Upstream broken', 'without detail the message is the title')
  t.match(String(server.stack), /define\.test/, 'a 5xx problem keeps its stack for the log')
  t.same(server.extensions, {})

  t.equal(OutOfCredit.status, 403)
  t.equal(OutOfCredit.title, 'You do not have enough credit')
  t.equal(OutOfCredit.schemaId, 'DefineOutOfCreditProblem')
  t.equal(OutOfCredit.schema.$id, 'DefineOutOfCreditProblem')
  t.same(OutOfCredit.schema.required, ['type', 'title', 'status', 'balance', 'accounts'])
  t.equal(OutOfCredit.ref.$ref, 'DefineOutOfCreditProblem#')
})

t.test('headers of the type and of the occurrence, Retry-After, and a cause that is never sent', async (t) => {
  const Throttled = defineProblem({
    type: 'define-throttled',
    status: 429,
    title: 'Slow down',
    headers: { 'x-rate-limit-policy': 'burst', 'x-shared': 'type' }
  })
  const app = await build(t)
  app.get('/plain', async () => { throw new Throttled() })
  app.get('/more', async () => {
    throw new Throttled({}, { retryAfter: 30, headers: { 'x-shared': 'occurrence' }, cause: new Error('redis at 10.0.0.7 timed out') })
  })
  const plain = await app.inject('/plain')
  t.equal(plain.headers['x-rate-limit-policy'], 'burst')
  t.equal(plain.headers['retry-after'], undefined)
  const more = await app.inject('/more')
  t.equal(more.headers['x-rate-limit-policy'], 'burst')
  t.equal(more.headers['x-shared'], 'occurrence', 'the occurrence wins over the type')
  t.equal(more.headers['retry-after'], '30')
  t.notMatch(more.body, /redis|10\.0\.0\.7/)
  t.same(Object.keys(more.json()).sort(), ['instance', 'requestId', 'status', 'title', 'type'])
})

t.test('extension members survive a route that declares a problem response schema', async (t) => {
  const app = await build(t, { typeBase: '/problems/' })
  // A narrow hand-written schema that Fastify's serializer would cut down to `title`.
  const narrow = { type: 'object', properties: { title: { type: 'string' } } }
  app.get('/declared', { schema: { response: { ...problemResponses(OutOfCredit, 404) } } }, async () => {
    throw new OutOfCredit({ balance: 5, accounts: ['/a/1'], note: 'not in the schema' } as never)
  })
  app.get('/narrow', { schema: { response: { 403: narrow } } }, async () => {
    throw new OutOfCredit({ balance: 5, accounts: ['/a/1'] })
  })
  app.get('/helper', { schema: { response: { 404: narrow } } }, async (_req, reply) => reply.notFound('gone', { resource: 'User' }))
  const declared = (await app.inject('/declared')).json()
  t.equal(declared.balance, 5)
  t.same(declared.accounts, ['/a/1'])
  t.equal(declared.note, undefined, 'members the schema does not declare are dropped')
  t.same((await app.inject('/narrow')).json().accounts, ['/a/1'])
  t.equal((await app.inject('/helper')).json().resource, 'User')
})

/** What the client makes of a 403 problem document of `type`: `parseProblem` looks the type up in the catalogue. */
async function clientClassOf (type: string, typeBase?: string): Promise<unknown> {
  const body = JSON.stringify({ type, title: 'You do not have enough credit', status: 403, balance: 20, accounts: ['/a/1'] })
  const problem = await parseProblem({ statusCode: 403, headers: { 'content-type': 'application/problem+json' }, body }, typeBase === undefined ? {} : { typeBase })
  return problem?.constructor
}

t.test('the catalogue entry: class, schema, headers; the type is found by itself and by its resolved URI', async (t) => {
  const app = await build(t)
  t.notOk(app.problemDetails.types.some((e) => e.problemClass === OutOfCredit), 'an app documents only the types it lists or references')
  app.problemDetails.document(OutOfCredit)
  const entry = app.problemDetails.types.find((e) => e.type === 'define-out-of-credit')
  t.equal(entry?.problemClass, OutOfCredit, 'fastify.problemDetails.types lists it once documented')
  t.equal(entry?.status, 403)
  t.equal(entry?.description, 'The account balance does not cover the cost of the operation.')
  t.same(Object.keys(entry?.extensions?.properties ?? {}), ['balance', 'accounts'])
  t.equal(await clientClassOf('define-out-of-credit'), OutOfCredit)
  t.equal(await clientClassOf('https://api.example.com/problems/define-out-of-credit', 'https://api.example.com/problems/'), OutOfCredit)
  t.equal(await clientClassOf('https://api.example.com/problems/define-out-of-credit', 'https://api.example.com/problems'), OutOfCredit,
    'a base without its trailing slash is normalized as the option is')
  t.equal(await clientClassOf('/p/define-out-of-credit', '/p/'), OutOfCredit)
  t.not(await clientClassOf('https://other.example/define-out-of-credit', 'https://api.example.com/problems/'), OutOfCredit)
})

t.test('the default schema $id rule', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['define-id/out-of-credit', 'OutOfCreditProblem'],
    ['https://api.example.com/problems/define-id/insufficient_funds', 'InsufficientFundsProblem'],
    ['urn:problem-type:acme:define-id-rate-limited', 'DefineIdRateLimitedProblem'],
    ['/problems/define-id/validation-problem/', 'ValidationProblem'],
    ['define-id/billing/out-of-credit-page.html#x', 'OutOfCreditPageProblem'],
    ['define-id/3d-secure-failed', 'Type3dSecureFailedProblem']
  ]
  for (const [type, schemaId] of cases) t.equal(defineProblem({ type, status: 400, title: 'x' }).schemaId, schemaId, type)
  t.throws(() => defineProblem({ type: '/', status: 400, title: 'x' }), /schemaId/, 'a type with no name in it needs an explicit schemaId')
})

t.test('definition errors are registration errors that say what to fix', async (t) => {
  const expectError = (def: unknown, pattern: RegExp, what: string): void => {
    let caught: unknown
    try {
      defineProblem(def as never)
    } catch (err) {
      caught = err
    }
    t.ok(caught instanceof RegistrationError, what + ': a RegistrationError')
    t.match((caught as Error | undefined)?.message, pattern, what)
  }
  // RFC 9457 §3.1.3: one type, one title (and status).
  expectError({ type: 'define-out-of-credit', status: 403, title: 'Another title' }, /already defined with status 403.*§3\.1\.3/, 'another title')
  expectError({ type: 'define-out-of-credit', status: 402, title: 'You do not have enough credit' }, /already defined/, 'another status')
  // Extension member names: RFC 9457 §3.2 and the XML Name rule.
  for (const name of ['ab', '1abc', 'has-dash', 'has space', 'é_accent']) {
    expectError({ type: 'define-bad-' + name.length, status: 400, title: 'x', extensions: Type.Object({ [name]: Type.String() }) }, /not a portable name.*§3\.2/, `member ${name}`)
  }
  expectError({ type: 'define-xml', status: 400, title: 'x', extensions: Type.Object({ xmlData: Type.String() }) }, /XML element name/, 'xml prefix')
  for (const name of ['detail', 'status', 'headers', 'retryAfter', 'prototype']) {
    expectError({ type: 'define-reserved', status: 400, title: 'x', extensions: Type.Object({ [name]: Type.String() }) }, /is reserved/, `member ${name}`)
  }
  expectError({ type: 'about:blank', status: 400, title: 'x' }, /§4\.2\.1/, 'about:blank')
  expectError({ type: 'has space', status: 400, title: 'x' }, /URI reference/, 'whitespace in type')
  expectError({ type: '', status: 400, title: 'x' }, /URI reference/, 'empty type')
  expectError({ type: 'define-ok', status: 200, title: 'x' }, /400–599/, 'non-error status')
  expectError({ type: 'define-ok', status: 400, title: ' ' }, /title/, 'blank title')
  expectError({ type: 'define-ok', status: 400, title: 'x', extensions: Type.String() }, /object schema/, 'non-object extensions')
  expectError({ type: 'define-ok', status: 400, title: 'x', description: 3 }, /description/, 'description')
  expectError({ type: 'other/define-out-of-credit', status: 400, title: 'x' }, /already taken by type "define-out-of-credit"; pass schemaId/, '$id collision')
  expectError({ type: 'define-ok', status: 400, title: 'x', schemaId: 'ProblemDetails' }, /plugin's own/, 'reserved $id')
  expectError({ type: 'define-ok', status: 400, title: 'x', schemaId: 'has space' }, /component name/, 'invalid $id')
  expectError(null, /takes \{ type/, 'no definition')
  expectError({ type: 'http://[bad', status: 400, title: 'x' }, /URI reference/, 'a type that is no URI')
  expectError({ type: 'define-ok', status: 400, title: 'x', headers: ['x'] }, /headers must be an object/, 'headers')

  const Other = defineProblem({ type: 'other/define-out-of-credit', status: 400, title: 'x', schemaId: 'OtherOutOfCredit' })
  t.equal(Other.schemaId, 'OtherOutOfCredit', 'an explicit schemaId resolves a collision')
  const Again = defineProblem({ type: 'define-out-of-credit', status: 403, title: 'You do not have enough credit', extensions: Type.Object({ balance: Type.Number(), accounts: Type.Array(Type.String()) }) })
  t.equal(await clientClassOf('define-out-of-credit'), Again, 'an identical redefinition replaces the entry')
  // Restore, so later tests of this file see the original class.
  defineProblem({ type: 'define-out-of-credit', status: 403, title: 'You do not have enough credit', description: OutOfCredit.description, extensions: OutOfCredit.extensions })
})
