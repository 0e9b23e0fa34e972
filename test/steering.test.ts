import t, { type Test } from 'tap'
import fc from 'fast-check'
import { type FastifyInstance, type FastifyReply, type LightMyRequestResponse } from 'fastify'
import sensible from '@fastify/sensible'
import { Type } from '@sinclair/typebox'
import { XMLParser } from 'fast-xml-parser'
import * as api from '../lib/index.js'
import {
  BadRequest, Conflict, Forbidden, InternalServerError, NotFound, ProblemError, ServiceUnavailable,
  TooManyRequests, Unauthorized, defineProblem,
  type ProblemHelper, type ProblemInit, type StatusProblemClass
} from '../lib/index.js'
import { build } from './helpers.js'

/**
 * Data never steers (issue 10, item 1): whatever JSON is given as extension
 * members, to whichever entry point (ProblemError's init, every status class,
 * the factories that take client data, every reply helper, reply.problem(),
 * a defined type, a mapper's init), the response has the same status, the
 * same standard members and the same headers as without those members.
 *
 * Each case is sent twice over `inject`: once without members (the baseline),
 * once with them. Reproduce a failure with the seed tap prints:
 * `FC_SEED=<seed> npx tap test/steering.test.ts`.
 */

const RUNS = Number(process.env.FC_RUNS ?? 100)
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED)

// --- arbitrary JSON, as text -----------------------------------------------------

/** Names that would steer a response if members were read as options, and others handlers read. */
const STEERING = ['status', 'type', 'title', 'detail', 'instance', 'headers', 'retryAfter', 'cause', 'extensions',
  '__proto__', 'constructor', 'prototype', 'statusCode', 'message', 'code', 'error', 'requestId', 'toJSON',
  'errors', 'set-cookie', 'retry-after', 'www-authenticate', 'balance', 'account']
const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...STEERING) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) })

const leaf = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 0 }).map((value) => JSON.stringify(value)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('"https://evil.example/x"', '"/admin"', '"Pwned"', '200', '302', '5', '-1', '"120"',
      '{"set-cookie":"sid=attacker"}', '{"set-cookie":["a=1","b=2"],"location":"https://evil.example/"}',
      '"Wed, 21 Oct 2015 07:28:00 GMT"', 'null', '[]', '{}', '"a\\r\\nx-injected: 1"')
  }
)

function objectText (entries: Array<[string, string]>): string {
  return '{' + entries.map(([name, value]) => JSON.stringify(name) + ':' + value).join(',') + '}'
}

// JSON text, so JSON.parse makes `__proto__` an own key, as a parsed request body has it.
const json = fc.letrec<{ value: string, object: string, array: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('object'), tie('array')),
  object: fc.array(fc.tuple(key, tie('value')), { maxLength: 6 }).map(objectText),
  array: fc.array(tie('value'), { maxLength: 4 }).map((items) => '[' + items.join(',') + ']')
}))

/** The members: mostly objects, sometimes what a JSON body can also be (an array, a string, a number). */
const membersText = fc.oneof({ weight: 8, arbitrary: json.object }, { weight: 1, arbitrary: json.array }, { weight: 1, arbitrary: leaf })

/** A client-given string (a field name, a resource name). */
const text = fc.oneof(key, fc.string({ maxLength: 16 }), fc.constantFrom('#/body/x', '#', '', 'a/b~c'))

const accept = fc.constantFrom(undefined, 'application/problem+json', 'application/problem+xml', 'application/json;q=0.5, application/problem+xml')

// --- the entry points ------------------------------------------------------------

/** Every status class of the public API, aliases once. */
const CLASSES: StatusProblemClass[] = [...new Set(Object.values(api).filter((value): value is StatusProblemClass =>
  typeof value === 'function' && value.prototype instanceof ProblemError && typeof (value as { status?: unknown }).status === 'number' &&
  !('schemaId' in value)))]

/** @fastify/sensible's 41 reply helper names. */
const HELPERS = Object.keys(sensible.httpErrors).filter((name) => name !== 'HttpError' && name !== 'getHttpError' && name !== 'createError')

const OPTIONS = {
  type: 'https://api.example.com/problems/steered',
  title: 'Set by the options',
  instance: '/things/1',
  headers: { 'x-from-options': 'yes' },
  retryAfter: 9,
  cause: new Error('the cause')
}

/** A few classes by hand, with the options each is used with. */
const REPRESENTATIVE: Array<(members: unknown) => ProblemError> = [
  (members) => new NotFound('User 1 does not exist', members as never),
  (members) => new Conflict('Email taken', members as never),
  (members) => new TooManyRequests('Slow down', members as never, { retryAfter: 30 }),
  (members) => new ServiceUnavailable(undefined, members as never, { retryAfter: new Date('2031-05-06T07:08:09Z') }),
  (members) => new Unauthorized('Log in', members as never, { headers: { 'www-authenticate': 'Bearer' } }),
  (members) => new InternalServerError('Broken', members as never, OPTIONS)
]

const Credit = defineProblem({
  type: 'steering-out-of-credit',
  status: 403,
  title: 'You do not have enough credit',
  headers: { 'x-from-type': 'yes' },
  extensions: Type.Object({ balance: Type.Number(), account: Type.Unknown() })
})
const Plain = defineProblem({ type: 'steering-plain', status: 409, title: 'A plain defined conflict' })

class MappedFull extends Error { constructor (readonly members: unknown) { super('mapped') } }
class MappedBare extends Error { constructor (readonly members: unknown) { super('mapped') } }

/** The own keys of parsed members, copied as own keys (Object.assign would set a prototype from `__proto__`). */
function ownCopy (members: unknown, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (members !== null && typeof members === 'object') {
    for (const name of Object.keys(members)) {
      Object.defineProperty(out, name, { value: (members as Record<string, unknown>)[name], enumerable: true, writable: true, configurable: true })
    }
  }
  for (const name of Object.keys(extra)) Object.defineProperty(out, name, { value: extra[name], enumerable: true, writable: true, configurable: true })
  return out
}

interface Case {
  /** The members, parsed; `undefined` for the baseline. */
  members: unknown
  /** Which class, helper or representative, by index. */
  pick: number
  text: string
}

interface Entry {
  name: string
  /** How many choices `pick` ranges over. */
  picks: number
  /** Sends or throws the problem. */
  run: (c: Case, reply: FastifyReply) => unknown
  /** The detail is built from the client's data by design (a factory): the one it must be. */
  detail?: (c: Case) => string | undefined
  /** The extension members the response may carry besides the request id. */
  only?: readonly string[]
  /** POSTed: the members are the request body. */
  body?: true
}

/** The route of an entry point: its name as a path segment. */
const pathOf = (entry: Entry): string => '/e/' + entry.name.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '')

const helper = (reply: FastifyReply, name: string): ProblemHelper => (reply as unknown as Record<string, ProblemHelper>)[name]

const ENTRIES: Entry[] = [
  {
    name: 'ProblemError-init',
    picks: 1,
    run: (c) => {
      const init: ProblemInit = { status: 409, type: 'https://api.example.com/problems/taken', title: 'Taken', detail: 'Email taken', instance: '/users/1' }
      init.headers = { 'x-hint': 'login' }
      init.retryAfter = 5
      init.cause = new Error('dup')
      init.extensions = c.members as never
      throw new ProblemError(init)
    }
  },
  { name: 'ProblemError-bare-init', picks: 1, run: (c) => { throw new ProblemError({ status: 422, extensions: c.members as never }) } },
  { name: 'status-class', picks: CLASSES.length, run: (c) => { throw new CLASSES[c.pick](undefined, c.members as never) } },
  { name: 'status-class-options', picks: CLASSES.length, run: (c) => { throw new CLASSES[c.pick]('Because', c.members as never, OPTIONS) } },
  { name: 'representative-class', picks: REPRESENTATIVE.length, run: (c) => { throw REPRESENTATIVE[c.pick](c.members) } },
  {
    name: 'NotFound.forResource',
    picks: 1,
    run: (c) => { throw NotFound.forResource('User', c.members) },
    detail: (c) => NotFound.forResource('User', c.members).detail
  },
  {
    name: 'Conflict.duplicate',
    picks: 1,
    run: (c) => { throw Conflict.duplicate('email', c.members) },
    detail: (c) => Conflict.duplicate('email', c.members).detail
  },
  {
    name: 'BadRequest.withField',
    picks: 1,
    run: (c) => { throw BadRequest.withField(c.members === undefined ? 'email' : c.text, 'Must be an email address') },
    only: ['errors']
  },
  {
    name: 'Forbidden.forAction',
    picks: 1,
    run: (c) => { throw c.members === undefined ? Forbidden.forAction('Post', 'delete') : Forbidden.forAction(c.text, c.text) },
    detail: (c) => (c.members === undefined ? Forbidden.forAction('Post', 'delete') : Forbidden.forAction(c.text, c.text)).detail,
    only: ['resource', 'action']
  },
  { name: 'reply-helper', picks: HELPERS.length, run: (c, reply) => helper(reply, HELPERS[c.pick]).call(reply, undefined, c.members as never) },
  { name: 'reply-helper-detail', picks: HELPERS.length, run: (c, reply) => helper(reply, HELPERS[c.pick]).call(reply, 'Because', c.members as never) },
  { name: 'reply-helper-options', picks: HELPERS.length, run: (c, reply) => helper(reply, HELPERS[c.pick]).call(reply, 'Because', c.members as never, OPTIONS) },
  { name: 'reply.conflict(detail, request.body)', picks: 1, body: true, run: (c, reply) => reply.conflict('Email taken', c.members as never) },
  { name: 'throw new Conflict(detail, request.body)', picks: 1, body: true, run: (c) => { throw new Conflict('Email taken', c.members as never) } },
  {
    name: 'reply.problem(init)',
    picks: 1,
    run: (c, reply) => reply.problem({ status: 429, type: 'https://api.example.com/problems/quota', title: 'Quota', detail: 'Used up', instance: '/quota', headers: { 'x-quota': '0' }, retryAfter: 60, extensions: c.members as never })
  },
  { name: 'reply.problem(ProblemError)', picks: 1, run: (c, reply) => reply.problem(new ProblemError({ status: 410, extensions: c.members as never })) },
  {
    name: 'defined type',
    picks: 1,
    run: (c) => {
      const init = ownCopy(c.members, { detail: 'Your balance is 20', balance: 20, account: c.members })
      throw new Credit(init as never, { instance: '/accounts/1', retryAfter: 3, headers: { 'x-from-occurrence': 'yes' } })
    },
    only: ['balance', 'account']
  },
  { name: 'defined type without extensions', picks: 1, run: (c) => { throw new Plain(ownCopy(c.members, { detail: 'Fixed' }) as never) }, only: [] },
  { name: 'mapper init', picks: 1, run: (c) => { throw new MappedFull(c.members) } },
  { name: 'mapper bare init', picks: 1, run: (c) => { throw new MappedBare(c.members) } }
]

// --- the app ---------------------------------------------------------------------

const cases = new Map<string, Case>()
let nextCase = 0

async function steeringApp (t: Test): Promise<FastifyInstance> {
  // A parsed body keeps `__proto__` and `constructor` as own keys: the most hostile body a route can get.
  const app = await build(t, { typeBase: 'https://api.example.com/problems/' }, { onProtoPoisoning: 'ignore', onConstructorPoisoning: 'ignore' })
  app.problemDetails.map(MappedFull, (error: MappedFull): ProblemInit => ({
    status: 503,
    type: 'https://api.example.com/problems/upstream',
    title: 'Upstream failed',
    detail: 'The payment service failed',
    instance: '/payments/1',
    headers: { 'x-upstream': 'payments' },
    retryAfter: 15,
    extensions: error.members as never
  }))
  app.problemDetails.map(MappedBare, (error: MappedBare): ProblemInit => ({ status: 402, extensions: error.members as never }))
  for (const entry of ENTRIES) {
    app.route({
      method: entry.body === true ? 'POST' : 'GET',
      url: pathOf(entry),
      handler: async (request, reply) => {
        const c = cases.get(String(request.headers['x-case'])) as Case
        return await entry.run(entry.body === true ? { ...c, members: c.members === undefined ? undefined : request.body } : c, reply)
      }
    })
  }
  await app.ready()
  return app
}

// --- the comparison --------------------------------------------------------------

const xml = new XMLParser({ ignoreAttributes: true, processEntities: true, parseTagValue: false })
const STANDARD = ['type', 'title', 'status', 'detail', 'instance'] as const

function bodyOf (res: LightMyRequestResponse): Record<string, unknown> {
  if (/xml/.test(String(res.headers['content-type']))) return (xml.parse(res.body) as { problem: Record<string, unknown> }).problem
  return JSON.parse(res.body) as Record<string, unknown>
}

/** Every response header but the length of the body and the clock's `Date`. */
function headersOf (res: LightMyRequestResponse): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(res.headers)) if (name !== 'content-length' && name !== 'date') out[name] = value
  return out
}

async function send (app: FastifyInstance, entry: Entry, c: Case, acceptValue: string | undefined, payload: string | undefined): Promise<LightMyRequestResponse> {
  const id = String(nextCase++)
  cases.set(id, c)
  try {
    const headers: Record<string, string> = { 'x-case': id }
    if (acceptValue !== undefined) headers.accept = acceptValue
    if (entry.body === true) headers['content-type'] = 'application/json'
    return await app.inject({ method: entry.body === true ? 'POST' : 'GET', url: pathOf(entry), headers, payload })
  } finally {
    cases.delete(id)
  }
}

function same (a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Throws, saying what moved, when the members changed the status, a standard member or a header. */
function compare (entry: Entry, c: Case, base: LightMyRequestResponse, res: LightMyRequestResponse): void {
  const what = `${entry.name}: ${res.statusCode} ${res.body.slice(0, 400)}`
  if (res.statusCode !== base.statusCode) throw new Error(`status ${base.statusCode} became ${res.statusCode}: ${what}`)
  const baseHeaders = headersOf(base)
  const headers = headersOf(res)
  if (!same(headers, baseHeaders)) throw new Error(`headers ${JSON.stringify(baseHeaders)} became ${JSON.stringify(headers)}: ${what}`)
  const baseBody = bodyOf(base)
  const body = bodyOf(res)
  for (const name of STANDARD) {
    const expected = name === 'detail' && entry.detail !== undefined ? entry.detail(c) : baseBody[name]
    if (!same(body[name], expected) || Object.hasOwn(body, name) !== (expected !== undefined)) {
      throw new Error(`${name} ${JSON.stringify(expected)} became ${JSON.stringify(body[name])}: ${what}`)
    }
  }
  if (Object.hasOwn(body, '__proto__')) throw new Error('a __proto__ member: ' + what)
  if (entry.only !== undefined) {
    for (const name of Object.keys(body)) {
      if (!(STANDARD as readonly string[]).includes(name) && name !== 'requestId' && !entry.only.includes(name)) {
        throw new Error(`an undeclared member ${JSON.stringify(name)}: ${what}`)
      }
    }
  }
}

async function check (t: Test, name: string, property: fc.IAsyncPropertyWithHooks<any>): Promise<void> {
  const details = await fc.check(property, { numRuns: RUNS, seed: SEED, endOnFailure: false })
  t.comment(`${name}: ${details.numRuns} cases, seed ${details.seed}`)
  if (details.failed) {
    const error = details.errorInstance
    t.fail(`${name}: ${fc.defaultReportMessage(details) ?? 'failed'}\nGot: ${error instanceof Error ? error.message : String(error)}`)
  } else {
    t.pass(`${name}: ${details.numRuns} cases, members never steered`)
  }
}

// --- the tests -------------------------------------------------------------------

t.test('the entry points are all here', async (t) => {
  t.equal(HELPERS.length, 41, 'every reply helper')
  t.ok(CLASSES.length >= 41, `every status class (${CLASSES.length})`)
  t.ok(CLASSES.includes(NotFound) && CLASSES.includes(InternalServerError))
})

t.test('the options still steer: the baselines carry them', async (t) => {
  const app = await steeringApp(t)
  const res = await send(app, ENTRIES[0], { members: undefined, pick: 0, text: '' }, undefined, undefined)
  t.equal(res.statusCode, 409)
  t.equal(res.headers['x-hint'], 'login')
  t.equal(res.headers['retry-after'], '5')
  t.match(res.json(), { type: 'https://api.example.com/problems/taken', title: 'Taken', detail: 'Email taken', instance: '/users/1' })
  const helperRes = await send(app, ENTRIES.find((e) => e.name === 'reply-helper-options') as Entry, { members: { id: 1 }, pick: HELPERS.indexOf('tooManyRequests'), text: '' }, undefined, undefined)
  t.equal(helperRes.statusCode, 429)
  t.equal(helperRes.headers['x-from-options'], 'yes')
  t.equal(helperRes.headers['retry-after'], '9')
  t.match(helperRes.json(), { type: OPTIONS.type, title: OPTIONS.title, instance: OPTIONS.instance, detail: 'Because', id: 1 })
})

t.test("the issue's body, given as members, sends no cookie, type, title or instance of its own", async (t) => {
  const app = await steeringApp(t)
  const payload = '{"headers":{"set-cookie":"sid=attacker"},"type":"https://evil.example/x","title":"Pwned","instance":"/admin","email":"a@example.com"}'
  for (const name of ['reply.conflict(detail, request.body)', 'throw new Conflict(detail, request.body)']) {
    const entry = ENTRIES.find((e) => e.name === name) as Entry
    const res = await send(app, entry, { members: JSON.parse(payload), pick: 0, text: '' }, undefined, payload)
    t.equal(res.statusCode, 409, name)
    t.equal(res.headers['set-cookie'], undefined, `${name}: no cookie`)
    t.same(res.json(), { type: 'about:blank', title: 'Conflict', status: 409, detail: 'Email taken', instance: pathOf(entry), requestId: res.json().requestId, email: 'a@example.com' }, name)
  }
})

for (const entry of ENTRIES) {
  t.test(`data never steers: ${entry.name}`, async (t) => {
    const app = await steeringApp(t)
    await check(t, entry.name, fc.asyncProperty(membersText, fc.nat(), text, accept, async (membersJson, pick, clientText, anyAccept) => {
      // A detail made of client data is compared as JSON carries it (XML cannot carry every character).
      const acceptValue = entry.detail === undefined ? anyAccept : undefined
      const c: Case = { members: JSON.parse(membersJson), pick: pick % entry.picks, text: clientText }
      const base = await send(app, entry, { ...c, members: undefined }, acceptValue, entry.body === true ? '{}' : undefined)
      const res = await send(app, entry, c, acceptValue, entry.body === true ? membersJson : undefined)
      compare(entry, c, base, res)
    }))
  })
}
