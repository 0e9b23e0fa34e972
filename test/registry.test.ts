import t, { type Test } from 'tap'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { errorCodes } from 'fastify'
import createError, { FastifyError } from '@fastify/error'
import httpErrors from 'http-errors'
import { ProblemError, NotFound, ValidationProblem, type Matcher, type Mapper } from '../lib/index.js'
import { build, type Teardown } from './helpers.js'
import { logCollector } from './hostile.js'

/** What a thrown error was answered with; a generic 500 (no mapping claimed it) has no `detail`. */
interface Answer { status: number, detail?: string }

/**
 * A context's mappings, driven through the public API only: `map()` is
 * `problemDetails.map()` of that context, `answer(error)` throws `error` from a
 * route of that context and reads the problem back.
 */
interface Context {
  map: (matcher: Matcher, mapper: Mapper) => Context
  answer: (error: unknown) => Promise<Answer>
  /** The same answer from `problemDetails.resolve()`, which (unlike a request) leaves the app not ready, so map() can follow. */
  resolve: (error: unknown) => Answer
  /** A child plugin context of this one, with a route of its own. */
  child: () => Promise<Context>
}

function contextOf (app: FastifyInstance, instance: FastifyInstance, path: string): Context {
  let current: unknown
  let children = 0
  instance.get(path, async () => { throw current })
  const context: Context = {
    map (matcher, mapper) {
      instance.problemDetails.map(matcher, mapper)
      return context
    },
    async answer (error) {
      current = error
      const res = await app.inject(path)
      return { status: res.statusCode, detail: res.json().detail }
    },
    resolve (error) {
      const problem = instance.problemDetails.resolve(error, {} as FastifyRequest)
      return { status: problem.status, detail: problem.detail }
    },
    async child () {
      let made: Context | undefined
      await instance.register(async (child) => { made = contextOf(app, child, `${path}child${children++}/`) })
      return made as Context
    }
  }
  return context
}

/** The root context of a new app, below the built-in mappings. */
async function registry (t: Teardown): Promise<Context> {
  const app = await build(t, { requestIdMember: false })
  return contextOf(app, app, '/')
}

/** A mapper that answers the given status and names itself in `detail`. */
function answer (status: number, name: string): Mapper {
  return () => ({ status, detail: name })
}

type Mapping = [Matcher, Mapper]

/**
 * Registers the two mappings in both orders and checks the same one wins:
 * the ranking never depends on registration order.
 */
async function bothOrders (t: Test, a: Mapping, b: Mapping, error: unknown, winner: string): Promise<void> {
  for (const [first, second] of [[a, b], [b, a]]) {
    const r = await registry(t)
    r.map(first[0], first[1])
    r.map(second[0], second[1])
    t.equal((await r.answer(error)).detail, winner, `${winner} wins when registered ${first === a ? 'second' : 'first'}`)
  }
}

class A extends Error {}
class B extends A {}
class C extends B {}

/** Marks a prototype as claimed, the way @fastify/error marks its classes' prototypes. */
const CLAIM = Symbol('claim')
Object.defineProperty(B.prototype, CLAIM, { value: true })

/** Claims every error whose prototype is marked, without being in its prototype chain. */
class Claimer {
  static [Symbol.hasInstance] (value: unknown): boolean {
    return (value as Record<symbol, unknown> | null)?.[CLAIM] === true
  }
}

t.test('classes match through the prototype chain, nearest first', async (t) => {
  const err = new C('x')
  await bothOrders(t, [A, answer(418, 'A')], [B, answer(418, 'B')], err, 'B')
  await bothOrders(t, [A, answer(418, 'A')], [C, answer(418, 'C')], err, 'C')
  const r = await registry(t)
  r.map(B, answer(418, 'B'))
  t.equal((await r.answer(new A('x'))).detail, undefined, 'a subclass mapping does not match its parent class')
  t.equal((await r.answer(new C('x'))).detail, 'B')
  t.equal((await r.answer(Object.create(C.prototype))).detail, 'B', 'matched by prototype, not by construction')
})

t.test('Symbol.hasInstance is honoured (as @fastify/error classes use)', async (t) => {
  const r = await registry(t)
  r.map(Claimer, answer(418, 'claimer'))
  t.equal((await r.answer(new B('x'))).detail, 'claimer')
  t.equal((await r.answer(new C('x'))).detail, 'claimer')
  t.equal((await r.answer(new A('x'))).detail, undefined, 'an unclaimed error does not match')
  t.equal((await r.answer(new Error('x'))).detail, undefined)

  // @fastify/error's generic FastifyError claims every error made by createError
  // through a symbol, not through the prototype chain.
  const generic = await registry(t)
  generic.map(FastifyError, (err: { code: string }) => ({ status: 400, detail: 'fastify ' + err.code }))
  const MyError = createError('MY_ERR', 'mine %s', 418)
  t.equal((await generic.answer(new MyError('a'))).detail, 'fastify MY_ERR')

  // A specific @fastify/error class, and the same class from a second copy of
  // the module: the instance is not in its prototype chain, Symbol.hasInstance says yes.
  const copy = createError('MY_ERR', 'mine %s', 418)
  const specific = await registry(t)
  specific.map(copy, answer(409, 'copy'))
  t.notOk(Object.getPrototypeOf(new MyError('a')) === copy.prototype)
  t.equal((await specific.answer(new MyError('a'))).detail, 'copy')
})

t.test('a Symbol.hasInstance that throws is no match', async (t) => {
  class Hostile {
    static [Symbol.hasInstance] (): boolean { throw new Error('boom') }
  }
  const r = await registry(t)
  r.map(Hostile, answer(418, 'hostile'))
  t.equal((await r.answer(new A('x'))).detail, undefined)
})

t.test('code strings, including numeric codes', async (t) => {
  const r = await registry(t)
  r.map('23505', answer(409, 'unique'))
  r.map('11000', answer(409, 'mongo'))
  t.equal((await r.answer(Object.assign(new Error('dup'), { code: '23505' }))).detail, 'unique')
  t.equal((await r.answer(Object.assign(new Error('dup'), { code: 11000 }))).detail, 'mongo', 'a numeric code matches its string')
  t.equal((await r.answer({ code: '23505' })).detail, 'unique', 'a plain object with a code')
  t.equal((await r.answer(Object.assign(new Error('x'), { code: '23503' }))).detail, undefined)
})

t.test('predicates', async (t) => {
  const r = await registry(t)
  r.map((e: unknown) => typeof e === 'string' && e.startsWith('quota'), answer(429, 'quota'))
  r.map(function isTeapot (e: unknown) { return (e as { teapot?: boolean } | null)?.teapot === true }, answer(418, 'teapot'))
  t.equal((await r.answer('quota exceeded')).detail, 'quota', 'a thrown string')
  t.equal((await r.answer({ teapot: true })).detail, 'teapot', 'a plain function is a predicate')
  t.equal((await r.answer('other')).detail, undefined)
  t.equal((await r.answer({ teapot: 'yes' })).detail, undefined, 'only a true answer matches')
})

t.test('bad matchers and mappers are refused at map()', async (t) => {
  const app = await build(t)
  t.throws(() => app.problemDetails.map(42 as unknown as string, answer(400, 'x')), /a matcher is an error class, an error code string or a predicate/)
  t.throws(() => app.problemDetails.map(A, 'nope' as unknown as Mapper), /needs a mapper function/)
  t.throws(() => app.problemDetails.map('', answer(400, 'x')), /must not be empty/)
  t.equal(app.problemDetails.map(A, answer(400, 'x')), app.problemDetails, 'map() chains')
})

t.test('a mapper returning undefined or null passes the error on', async (t) => {
  const r = await registry(t)
  const seen: string[] = []
  r.map(A, () => { seen.push('A'); return { status: 409, detail: 'A' } })
  r.map(C, () => { seen.push('C'); return undefined })
  r.map(B, () => { seen.push('B'); return null })
  t.equal((await r.answer(new C('x'))).detail, 'A')
  t.same(seen, ['C', 'B', 'A'], 'tried nearest first')

  const tiers = await registry(t)
  tiers.map('E_X', () => undefined)
  tiers.map(A, () => undefined)
  tiers.map(() => true, () => undefined)
  tiers.map(Error, answer(500, 'catch-all'))
  t.equal((await tiers.answer(Object.assign(new A('x'), { code: 'E_X' }))).detail, 'catch-all', 'through every tier')

  const toBuiltin = await registry(t)
  toBuiltin.map(ProblemError, () => undefined)
  t.equal((await toBuiltin.answer(new NotFound('nope'))).detail, 'nope', 'on to the built-in mapping')
})

t.test('a mapper may return a ProblemError, sent as it is', async (t) => {
  const app = await build(t, { requestIdMember: false })
  app.problemDetails.map(A, () => new NotFound('mapped', { id: 7 }))
  app.get('/', async () => { throw new A('x') })
  t.same((await app.inject('/')).json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'mapped', instance: '/', id: 7 })
})

t.test('a mapper returning a non-object answers the generic 500 and logs why', async (t) => {
  const log = logCollector()
  const app = await build(t, { requestIdMember: false }, { logger: { level: 'info', stream: log.stream } })
  app.problemDetails.map(A, () => 'oops' as never)
  app.get('/', async () => { throw new A('x') })
  const res = await app.inject('/')
  t.equal(res.statusCode, 500)
  t.equal(res.json().detail, undefined)
  t.match(JSON.stringify(log.lines), /MapperResultError/)
  t.match(JSON.stringify(log.lines), /returned string/)
})

t.test('the ranking, each rule in both registration orders', async (t) => {
  const coded = Object.assign(new C('x'), { code: 'E_CODE' })

  t.test('a code beats a class', async (t) => {
    await bothOrders(t, ['E_CODE', answer(409, 'code')], [C, answer(418, 'class')], coded, 'code')
  })
  t.test('a code beats a mapping on Error', async (t) => {
    await bothOrders(t, ['E_CODE', answer(409, 'code')], [Error, answer(500, 'error')], coded, 'code')
  })
  t.test('a class in the prototype chain beats one claiming through Symbol.hasInstance', async (t) => {
    await bothOrders(t, [A, answer(409, 'chain')], [Claimer, answer(418, 'claimer')], coded, 'chain')
  })
  t.test('Symbol.hasInstance beats a predicate', async (t) => {
    await bothOrders(t, [Claimer, answer(418, 'claimer')], [() => true, answer(409, 'predicate')], coded, 'claimer')
  })
  t.test('a class beats a predicate', async (t) => {
    await bothOrders(t, [A, answer(418, 'class')], [() => true, answer(409, 'predicate')], coded, 'class')
  })
  t.test('a predicate beats a mapping on Error', async (t) => {
    await bothOrders(t, [() => true, answer(409, 'predicate')], [Error, answer(500, 'error')], coded, 'predicate')
  })
  t.test('any class beats a mapping on Error', async (t) => {
    await bothOrders(t, [A, answer(409, 'A')], [Error, answer(500, 'error')], coded, 'A')
  })
  t.test('a mapping on Object is a catch-all too', async (t) => {
    await bothOrders(t, [() => true, answer(409, 'predicate')], [Object as never, answer(500, 'object')], coded, 'predicate')
  })
  t.test('within a tier, the later mapping wins', async (t) => {
    for (const [first, second] of [['one', 'two'], ['two', 'one']]) {
      for (const matcher of ['E_CODE', C, () => true, Error] as Matcher[]) {
        const r = await registry(t)
        r.map(matcher, answer(409, first))
        r.map(matcher, answer(409, second))
        t.equal((await r.answer(coded)).detail, second)
      }
    }
  })
  t.test('within a tier, a nearer context beats its parent', async (t) => {
    for (const matcher of ['E_CODE', C, Claimer, () => true, Error] as Matcher[]) {
      for (const childFirst of [true, false]) {
        const parent = await registry(t)
        const child = await parent.child()
        if (childFirst) child.map(matcher, answer(409, 'child'))
        parent.map(matcher, answer(409, 'parent'))
        if (!childFirst) child.map(matcher, answer(409, 'child'))
        t.equal((await child.answer(coded)).detail, 'child')
        t.equal((await parent.answer(coded)).detail, 'parent', 'the parent does not see the child')
      }
    }
  })
  t.test('a nearer class in a parent beats a farther class in a child', async (t) => {
    const parent = await registry(t)
    const child = await parent.child()
    child.map(A, answer(409, 'child A'))
    parent.map(C, answer(409, 'parent C'))
    t.equal((await child.answer(coded)).detail, 'parent C')
  })
})

t.test('user mappings of the same rank override the built-ins', async (t) => {
  const r = await registry(t)
  r.map(ProblemError, (err: ProblemError) => ({ status: err.status, detail: 'mine' }))
  r.map('FST_ERR_CTP_INVALID_JSON_BODY', answer(422, 'json'))
  t.equal((await r.answer(new NotFound('x'))).detail, 'mine')
  t.equal((await r.answer(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY())).detail, 'json')
})

t.test('a catch-all on Error never shadows the built-in mappings', async (t) => {
  const r = await registry(t)
  r.map(Error, answer(503, 'catch-all'))
  const fstJson = new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY()
  t.equal((await r.answer(fstJson)).status, 400, 'Fastify body error')
  t.equal((await r.answer(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())).status, 413)
  const validation = Object.assign(new Error('body/email must match format "email"'), {
    code: 'FST_ERR_VALIDATION', statusCode: 400, validationContext: 'body', validation: [{ instancePath: '/email', message: 'must match format "email"', keyword: 'format', params: {} }]
  })
  t.equal((await r.answer(validation)).status, 400, 'validation')
  t.equal((await r.answer(new NotFound('x'))).status, 404, 'ProblemError')
  t.equal((await r.answer(new ValidationProblem([]))).status, 400, 'ValidationProblem')
  t.equal((await r.answer(new httpErrors.Conflict('taken'))).status, 409, 'http-errors')
  t.equal((await r.answer(Object.assign(new Error('x'), { statusCode: 404 }))).status, 404, 'an error with a statusCode')
  t.equal((await r.answer(new Error('plain'))).detail, 'catch-all', 'a plain Error reaches the catch-all')
  t.equal((await r.answer(new TypeError('plain'))).detail, 'catch-all')
})

t.test('lookups are cached per prototype, and a later map() is still seen', async (t) => {
  const r = await registry(t)
  let calls = 0
  r.map(A, () => { calls++; return { status: 409, detail: 'A' } })
  t.equal(r.resolve(new C('1')).detail, 'A')
  t.equal(r.resolve(new C('2')).detail, 'A')
  t.equal(calls, 2)
  r.map(C, answer(418, 'C'))
  t.equal(r.resolve(new C('3')).detail, 'C', 'a nearer class added after the first lookup wins')
  t.equal(r.resolve(new B('4')).detail, 'A', 'a sibling prototype is unaffected')

  // A map() anywhere (another registry) invalidates nothing wrongly.
  const other = await registry(t)
  other.map(B, answer(400, 'other B'))
  t.equal(r.resolve(new C('5')).detail, 'C')

  const parent = await registry(t)
  const child = await parent.child()
  t.equal(child.resolve(new B('x')).detail, undefined)
  parent.map(B, answer(409, 'parent B'))
  t.equal(child.resolve(new B('x')).detail, 'parent B', 'a parent mapping added after a child lookup is seen')
})

t.test('types lists the documented types', async (t) => {
  const app = await build(t)
  t.same(app.problemDetails.types, [], 'an app documents nothing by itself')
  t.ok(Object.isFrozen(app.problemDetails.types))
})

t.test('through the plugin: mappings answer thrown errors in any order', async (t) => {
  const app = await build(t, { requestIdMember: false })
  app.problemDetails.map(A, (err: A) => ({ status: 409, detail: 'A: ' + err.message }))
  app.problemDetails.map(C, () => undefined)
  app.problemDetails.map(Error, () => new NotFound('catch-all'))
  app.get('/c', async () => { throw new C('deep') })
  app.get('/plain', async () => { throw new Error('plain') })
  app.get('/json', async () => { throw new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY() })
  const c = await app.inject('/c')
  t.equal(c.statusCode, 409)
  t.same(c.json(), { type: 'about:blank', title: 'Conflict', status: 409, detail: 'A: deep', instance: '/c' })
  t.equal((await app.inject('/plain')).json().detail, 'catch-all')
  t.equal((await app.inject('/json')).statusCode, 400)
})

t.test('a registered problem is delivered with the answering request', async (t) => {
  const app = await build(t)
  let seen: FastifyRequest | undefined
  app.problemDetails.map(A, (_err, req) => { seen = req; return { status: 400 } })
  app.get('/', async () => { throw new A('x') })
  await app.inject('/')
  t.equal(seen?.url, '/')
})

t.test('the app\'s mappings beat the presets, which beat the built-ins', async (t) => {
  const refused = async (): Promise<never> => { throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED', statusCode: 418 }) }
  const plain = await build(t, { presets: ['network'], requestIdMember: false })
  plain.get('/refused', refused)
  const preset = await plain.inject('/refused')
  t.ok(preset.statusCode === 502 || preset.statusCode === 503, 'the network preset answers, not the built-in statusCode mapping')
  const app = await build(t, { presets: ['network'], requestIdMember: false })
  app.get('/refused', refused)
  app.problemDetails.map('ECONNREFUSED', () => ({ status: 504, detail: 'mine' }))
  const mine = await app.inject('/refused')
  t.equal(mine.statusCode, 504, 'the app overrides the preset')
  t.equal(mine.json().detail, 'mine')
})

t.test('a class made by @fastify/error stands for its code, so mapping it overrides the built-in', async (t) => {
  for (const order of ['class first', 'code first']) {
    const app = await build(t, { requestIdMember: false })
    const viaClass = () => ({ status: 422, detail: 'by class' })
    if (order === 'class first') app.problemDetails.map(errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY, viaClass)
    app.problemDetails.map(Error, () => ({ status: 418, detail: 'catch-all' }))
    if (order === 'code first') app.problemDetails.map(errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY, viaClass)
    app.post('/', async () => 'unreachable')
    const res = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '' })
    t.equal(res.statusCode, 422, order)
    t.equal(res.json().detail, 'by class', order)
    // The other Fastify errors keep their built-in mappings.
    const bad = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '{' })
    t.equal(bad.statusCode, 400, order)
  }
})
