import t, { type Test } from 'tap'
import fc from 'fast-check'
import { type FastifyInstance, type FastifyReply, type FastifyRequest, type InjectOptions, type LightMyRequestResponse, type onRequestHookHandler } from 'fastify'
import { ProblemError, type ProblemInit } from '../lib/index.js'
import { Writable } from 'node:stream'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { build as hostile, nullStream, type FieldSpec, type ThrownSpec } from './hostile.js'
import { build, type Teardown } from './helpers.js'

/**
 * Property-based proof that no thrown value breaks the error path: whatever is
 * thrown (every JavaScript type, hostile objects, Proxies, cycles, huge strings),
 * from wherever (routes, hooks, async or callback style, user mappers), the
 * answer is a valid problem, in bounded time, and the server keeps serving.
 *
 * One app per property, driven with `inject`. Reproduce a failure with the
 * seed tap prints: `FC_SEED=<seed> npx tap test/property.test.ts`.
 */

/**
 * Cases per property (the first one runs twice as many). Every run draws a new
 * seed, so each `npm test` explores cases the last one did not; 200 keeps the
 * file to a few seconds. Search longer with `FC_RUNS=5000`.
 */
const RUNS = Number(process.env.FC_RUNS ?? 200)
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED)
/** A generous bound on one request: a hang, not slowness, is what it catches. */
const BOUND_MS = 5000

// --- arbitraries -------------------------------------------------------------

const anything = fc.anything({
  maxDepth: 2,
  maxKeys: 4,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true
})

/**
 * Any code points, lone surrogates included: what `fc.string({ unit: 'binary' })`
 * generates, without the 1.1-million-entry reverse map fast-check builds for
 * that unit the first time it shrinks or checks a value (2 s of this file's CPU).
 */
function codePoints (maxLength: number): fc.Arbitrary<string> {
  return fc.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength }).map((points) => String.fromCodePoint(...points))
}

/** Values that look like statuses, and the ones just outside the valid range. */
const statusLike = fc.oneof(
  fc.integer({ min: -1, max: 1000 }),
  fc.constantFrom(399, 400, 404, 429, 499, 500, 503, 599, 600, 200, 302, 0, -0, NaN, Infinity, 404.5, 2 ** 53, '404', '500', ' 400', '4e2'),
  fc.bigInt({ min: 0n, max: 1000n })
)

/** Header maps with names and values that could inject or break a response. */
const headerName = fc.oneof(
  fc.constantFrom('retry-after', 'www-authenticate', 'allow', 'content-type', 'content-length', 'x-ok', 'set-cookie', 'vary', 'transfer-encoding'),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('x-a\r\nx-injected: 1', 'x-é', '', ' ', 'x a', '__proto__', 'constructor')
)
const headerValue = fc.oneof(
  fc.string({ maxLength: 24 }),
  codePoints(24),
  fc.constantFrom('1\r\nx-injected: 1', 'a\nb', 'a\rb', 'a\u0000b', 'é', '☃', '\u2028'),
  fc.integer(),
  fc.double(),
  anything
)
const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 })
  .map((entries) => {
    const out: Record<string, unknown> = {}
    for (const [name, value] of entries) Object.defineProperty(out, name, { value, enumerable: true, configurable: true, writable: true })
    return out
  })

const fieldSpec: fc.Arbitrary<FieldSpec> = fc.oneof(
  { weight: 30, arbitrary: anything.map((value) => ({ kind: 'value' as const, value })) },
  { weight: 20, arbitrary: statusLike.map((value) => ({ kind: 'value' as const, value })) },
  { weight: 15, arbitrary: headers.map((value) => ({ kind: 'value' as const, value })) },
  { weight: 10, arbitrary: codePoints(40).map((value) => ({ kind: 'value' as const, value })) },
  { weight: 5, arbitrary: fc.bigInt().map((value) => ({ kind: 'value' as const, value })) },
  { weight: 5, arbitrary: fc.constantFrom(true, false, 'true').map((value) => ({ kind: 'value' as const, value })) },
  { weight: 10, arbitrary: fc.constant({ kind: 'throws' as const }) },
  { weight: 5, arbitrary: fc.constant({ kind: 'self' as const }) },
  { weight: 5, arbitrary: fc.constant({ kind: 'throwingFn' as const }) },
  { weight: 5, arbitrary: fc.constant({ kind: 'proxy' as const }) },
  { weight: 5, arbitrary: fc.constant({ kind: 'revoked' as const }) },
  { weight: 5, arbitrary: fc.constant({ kind: 'causeLoop' as const }) },
  // Rare: 1 MiB strings are expensive to log, one in ~60 fields is plenty.
  { weight: 2, arbitrary: fc.constant({ kind: 'huge' as const }) }
)

/** The members error handlers (ours, Fastify's, http-errors', Boom's) read. */
const fieldName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('status', 'statusCode', 'message', 'code', 'headers', 'cause', 'toJSON', 'expose', 'name', 'stack', 'isBoom', 'output', 'validation', 'validationContext', 'retryAfter', 'type', 'title', 'detail', 'instance', 'errors', 'then', 'constructor', '__proto__', 'prototype', 'requestId', 'error') },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }
)

const objectSpec = fc.record({
  kind: fc.constant('object' as const),
  base: fc.constantFrom('Error', 'TypeError', 'SyntaxError', 'plain', 'nullProto', 'array', 'function', 'ProblemError', 'httpErrors', 'boom') as fc.Arbitrary<Extract<ThrownSpec, { kind: 'object' }>['base']>,
  fields: fc.array(fc.tuple(fieldName, fieldSpec), { maxLength: 6 }),
  wrap: fc.oneof(
    { weight: 8, arbitrary: fc.constant('none' as const) },
    { weight: 2, arbitrary: fc.constant('freeze' as const) },
    { weight: 1, arbitrary: fc.constantFrom('proxyThrowAll' as const, 'revoked' as const, 'proxyGetThrows' as const, 'proxyLies' as const) }
  )
})

const primitiveSpec = fc.oneof(
  anything,
  fc.bigInt(),
  fc.constantFrom(undefined, null, 0, -0, NaN, '', false, true, Symbol('thrown'), Symbol.iterator, () => 1, class Thrown {}, 'x'.repeat(1024 * 1024))
).map((value) => ({ kind: 'primitive' as const, value }))

export const thrownSpec: fc.Arbitrary<ThrownSpec> = fc.oneof({ weight: 1, arbitrary: primitiveSpec }, { weight: 3, arbitrary: objectSpec })

// --- the checks ----------------------------------------------------------------

/** Fails when the request does not finish within the bound; a hang is a failure, not a slow test. */
async function bounded (app: FastifyInstance, options: InjectOptions): Promise<LightMyRequestResponse> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no response within ${BOUND_MS} ms`)), BOUND_MS)
  })
  try {
    return await Promise.race([app.inject(options), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** `Accept` headers: each format the plugin emits, preferences, wildcards and noise. */
const accept = fc.oneof(
  fc.constantFrom(undefined, '*/*', 'application/problem+json', 'application/problem+xml', 'application/json, application/problem+json;q=0',
    'text/html', 'application/xml;q=0.9, */*;q=0.8', 'application/problem+xml, application/problem+json;q=0.5', ''),
  fc.string({ maxLength: 40 })
)

const MEDIA_TYPES = new Set(['application/problem+json', 'application/json', 'application/problem+xml'])
// RFC 3986 §4.1: no character outside unreserved / reserved / pct-encoded.
const URI_REFERENCE_CHARS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#[\]]|%[0-9A-Fa-f]{2})*$/
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) \d{2}:\d{2}:\d{2} GMT$/
/** Framing and representation headers: never from a problem (the test routes set none themselves). */
const NEVER_SENT = ['transfer-encoding', 'content-encoding', 'content-range', 'content-location', 'content-md5', 'digest', 'content-digest', 'etag', 'last-modified', 'upgrade', 'trailer']

/** `Retry-After` as this plugin sends it: delta-seconds up to a year, or an IMF-fixdate of 1970–9999 naming a real date. */
function validRetryAfter (value: string): boolean {
  if (/^\d+$/.test(value)) return Number(value) <= 365 * 24 * 3600
  const match = IMF_FIXDATE.exec(value)
  return match !== null && Number(match[1]) >= 1970 && new Date(Date.parse(value)).toUTCString() === value
}

const xml = new XMLParser({ ignoreAttributes: true, processEntities: true, parseTagValue: false })

/** Throws (with what was wrong) unless the response is a valid RFC 9457 problem, in JSON or XML. */
function assertProblem (res: LightMyRequestResponse): void {
  const contentType = String(res.headers['content-type'])
  const what = `${res.statusCode} ${contentType} ${res.body.slice(0, 300)}`
  if (res.statusCode < 400 || res.statusCode > 599) throw new Error('not an error status: ' + what)
  let body: Record<string, unknown>
  // RFC 9457 §6: the media types exactly as registered, with no parameters.
  if (!MEDIA_TYPES.has(contentType)) throw new Error('not exactly a problem media type: ' + what)
  if (/^application\/problem\+xml(;|$)/.test(contentType)) {
    // RFC 9457 Appendix B: a well-formed document whose root is <problem>.
    if (XMLValidator.validate(res.body) !== true) throw new Error('body is not well-formed XML: ' + what)
    body = (xml.parse(res.body) as { problem?: Record<string, unknown> }).problem as Record<string, unknown>
    if (body === undefined) throw new Error('no <problem> root: ' + what)
    body.status = Number(body.status)
  } else if (/^application\/(problem\+)?json(;|$)/.test(contentType)) {
    try {
      body = JSON.parse(res.body) as Record<string, unknown>
    } catch {
      throw new Error('body is not JSON: ' + what)
    }
  } else {
    throw new Error('not a problem content type: ' + what)
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('body is not an object: ' + what)
  if (body.status !== res.statusCode) throw new Error('status member differs from the HTTP status: ' + what)
  if (typeof body.type !== 'string' || typeof body.title !== 'string') throw new Error('type or title missing: ' + what)
  if ('detail' in body && typeof body.detail !== 'string') throw new Error('detail is not a string: ' + what)
  if ('instance' in body && (typeof body.instance !== 'string' || !URI_REFERENCE_CHARS.test(body.instance))) throw new Error('instance is not a URI reference: ' + what)
  const retryAfter = res.headers['retry-after']
  if (retryAfter !== undefined && !validRetryAfter(String(retryAfter))) throw new Error('invalid Retry-After ' + String(retryAfter) + ': ' + what)
  for (const name of NEVER_SENT) {
    if (res.headers[name] !== undefined) throw new Error(`${name} passed from a problem: ` + what)
  }
  if (Object.prototype.hasOwnProperty.call(body, '__proto__')) throw new Error('__proto__ member emitted: ' + what)
  for (const [name, value] of Object.entries(res.headers)) {
    if (/[\r\n]/.test(String(value)) || name === 'x-injected') throw new Error('header injection: ' + name)
  }
}

async function assertServing (app: FastifyInstance): Promise<void> {
  const res = await bounded(app, { url: '/ok' })
  if (res.statusCode !== 200 || res.body !== '{"ok":true}') throw new Error('the server stopped serving: ' + res.statusCode + ' ' + res.body)
}

/**
 * Runs a property and reports a failure through tap with fast-check's report,
 * which carries the seed and the shrunk counterexample.
 */
async function check<T> (t: Test, name: string, property: fc.IAsyncPropertyWithHooks<T>, runs = RUNS): Promise<void> {
  const details = await fc.check(property, { numRuns: runs, seed: SEED, endOnFailure: false })
  t.comment(`${name}: ${details.numRuns} cases, seed ${details.seed}`)
  if (details.failed) {
    const error = details.errorInstance
    t.fail(`${name}: ${fc.defaultReportMessage(details) ?? 'failed'}\nGot: ${error instanceof Error ? error.message : String(error)}`)
  } else {
    t.pass(`${name}: ${details.numRuns} generated cases answered with valid problems`)
  }
}

// --- the apps ------------------------------------------------------------------

const SITES = [
  'route-sync', 'route-async', 'route-send', 'route-callback',
  'onRequest-async', 'onRequest-callback', 'onRequest-sync',
  'preHandler-async', 'preHandler-callback',
  'preSerialization-async', 'preSerialization-callback',
  'onSend-async', 'onSend-callback',
  'notFound-onRequest'
] as const
type Site = typeof SITES[number]

/** Specs by case id: the request says which one to throw, and where. */
const cases = new Map<string, ThrownSpec>()
let nextCase = 0

function thrown (request: FastifyRequest, site: string): { hit: boolean, value?: unknown } {
  if (request.headers['x-site'] !== site) return { hit: false }
  const spec = cases.get(String(request.headers['x-case']))
  if (spec === undefined) return { hit: false }
  // Once per request: an onSend hook must not throw again on the problem response itself.
  if ((request as FastifyRequest & { thrownOnce?: boolean }).thrownOnce === true) return { hit: false }
  ;(request as FastifyRequest & { thrownOnce?: boolean }).thrownOnce = true
  return { hit: true, value: hostile(spec) }
}

/** `instanceof` without the throw a revoked Proxy answers it with. */
function isError (value: unknown): boolean {
  try {
    return value instanceof Error
  } catch {
    return false
  }
}

/**
 * Counts the plugin's log lines for an answered error without parsing them (a
 * 1 MiB line costs a substring search): the problem line (the only line with a
 * `path` member after `method`), or the line of the last-resort answer when
 * the problem itself could not be built. A failing mapping logs a line of its
 * own (the mapper's bug) and is not counted here.
 */
let problemLines = 0
const countingStream = new Writable({
  write (chunk: Buffer, _encoding, callback) {
    if (chunk.includes('"method":"GET","path":"') || chunk.includes('could not build the problem response')) problemLines++
    callback()
  }
})

async function throwingApp (t: Teardown): Promise<FastifyInstance> {
  const app = await build(t, {}, { logger: { level: 'info', stream: countingStream } })
  // Every hook in both styles; each one throws only when the request names it.
  for (const hook of ['onRequest', 'preHandler'] as const) {
    app.addHook(hook, async (request) => {
      const { hit, value } = thrown(request, hook + '-async')
      if (hit) throw value
    })
    const callbackStyle: onRequestHookHandler = (request, _reply, done) => {
      const { hit, value } = thrown(request, hook + '-callback')
      // A falsy `done(value)` means "no error" to Fastify: throwing is the callback style's other way to fail.
      if (hit) { if (value) done(value as Error); else throw value } else done()
    }
    app.addHook(hook, callbackStyle)
  }
  app.addHook('onRequest', (request, _reply, done) => {
    const { hit, value } = thrown(request, 'onRequest-sync')
    if (hit) throw value
    done()
  })
  app.addHook('onRequest', (request, _reply, done) => {
    const { hit, value } = thrown(request, 'notFound-onRequest')
    if (hit) throw value
    done()
  })
  app.addHook('preSerialization', async (request, _reply, payload) => {
    const { hit, value } = thrown(request, 'preSerialization-async')
    if (hit) throw value
    return payload
  })
  app.addHook('preSerialization', (request, _reply, payload, done) => {
    const { hit, value } = thrown(request, 'preSerialization-callback')
    if (hit) { if (value) done(value as Error); else throw value } else done(null, payload)
  })
  app.addHook('onSend', async (request, _reply, payload) => {
    const { hit, value } = thrown(request, 'onSend-async')
    if (hit) throw value
    return payload
  })
  app.addHook('onSend', (request, _reply, payload, done) => {
    const { hit, value } = thrown(request, 'onSend-callback')
    if (hit) { if (value) done(value as Error); else throw value } else done(null, payload)
  })

  app.get('/ok', async () => ({ ok: true }))
  app.get('/throw', (request: FastifyRequest, reply: FastifyReply) => {
    const site = String(request.headers['x-site'])
    const { hit, value } = site.startsWith('route-') ? thrown(request, site) : { hit: false, value: undefined }
    if (hit && site === 'route-sync') throw value
    if (hit && site === 'route-async') return Promise.reject(value)
    if (hit && site === 'route-send') {
      // reply.send(error) takes the error path only for Error instances; anything else is thrown.
      if (isError(value)) return reply.send(value)
      throw value
    }
    if (hit && site === 'route-callback') {
      setImmediate(() => {
        if (isError(value)) reply.send(value)
        else reply.problem({ status: 500, detail: 'callback failed' })
      })
      return reply
    }
    return reply.send({ ok: true })
  })
  await app.ready()
  return app
}

/** A falsy value failed with from a callback-style hook is "no error" for Fastify: the route answers. */
function routeMayAnswer (site: Site, spec: ThrownSpec): boolean {
  return spec.kind === 'primitive' && !spec.value && /-(callback|sync)$/.test(site) && site !== 'route-callback'
}

// --- properties ----------------------------------------------------------------

t.test('any value thrown from any place answers a valid problem, and the server keeps serving', async (t) => {
  const app = await throwingApp(t)

  await check(t, 'thrown values × throw sites', fc.asyncProperty(thrownSpec, fc.constantFrom(...SITES), accept, async (spec, site, accept) => {
    const id = String(nextCase++)
    cases.set(id, spec)
    try {
      const url = site === 'notFound-onRequest' ? '/no/such/route?token=abc' : '/throw'
      problemLines = 0
      const res = await bounded(app, { url, headers: accept === undefined ? { 'x-site': site, 'x-case': id } : { 'x-site': site, 'x-case': id, accept } })
      if (res.statusCode === 200 && routeMayAnswer(site, spec)) return
      assertProblem(res)
      // §5: one line per error, not two (and not none).
      if (problemLines !== 1) throw new Error(`${problemLines} problem log lines for one error`)
      await assertServing(app)
    } finally {
      cases.delete(id)
    }
  }), RUNS * 2)
})

t.test('any value a user mapper returns or throws answers a valid problem', async (t) => {
  class Mapped extends Error {
    constructor (readonly spec: ThrownSpec, readonly mode: 'return' | 'throw' | 'problem') {
      super('mapped')
    }
  }
  const app = await build(t, { typeBase: 'https://example.test/problems/' }, { logger: { level: 'info', stream: nullStream() } })
  app.problemDetails.map(Mapped, (error: Mapped) => {
    const value = hostile(error.spec)
    if (error.mode === 'throw') throw value
    if (error.mode === 'problem') return new ProblemError(value as ConstructorParameters<typeof ProblemError>[0])
    return value as ReturnType<Parameters<typeof app.problemDetails.map>[1]>
  })
  // A predicate and a code mapper that see every error first.
  app.problemDetails.map('HOSTILE_CODE', () => undefined)
  app.problemDetails.map((error: unknown) => error instanceof Mapped && error.mode === 'throw' && error.spec.kind === 'primitive', () => undefined)
  app.get('/ok', async () => ({ ok: true }))
  app.get('/map', async (request) => {
    const id = String(request.headers['x-case'])
    const mode = request.headers['x-mode'] as 'return' | 'throw' | 'problem'
    throw new Mapped(cases.get(id) as ThrownSpec, mode)
  })
  // Async-style children: the mapping of an encapsulated context.
  await app.register(async (child) => {
    child.problemDetails.map(Error, () => { throw new Error('the child catch-all fails too') })
    child.get('/child', async (request) => {
      throw new Mapped(cases.get(String(request.headers['x-case'])) as ThrownSpec, 'return')
    })
  })
  await app.ready()

  await check(t, 'user mapper results', fc.asyncProperty(thrownSpec, fc.constantFrom('return', 'throw', 'problem'), fc.constantFrom('/map', '/child'), accept, async (spec, mode, url, accept) => {
    const id = String(nextCase++)
    cases.set(id, spec)
    try {
      const res = await bounded(app, { url, headers: accept === undefined ? { 'x-case': id, 'x-mode': mode } : { 'x-case': id, 'x-mode': mode, accept } })
      assertProblem(res)
      await assertServing(app)
    } finally {
      cases.delete(id)
    }
  }))
})

/** Extension members and headers of deliberate problems: BigInt, cycles, throwing getters, Proxies. */
const extensionSpec = fc.array(fc.tuple(fieldName, fieldSpec), { maxLength: 6 })

t.test('problems with hostile extension members and headers answer valid problems, via throw and reply.problem()', async (t) => {
  const app = await build(t, { compat: 'fastify' }, { logger: { level: 'info', stream: nullStream() } })
  const inits = new Map<string, { status: unknown, fields: Array<[string, FieldSpec]> }>()
  function membersOf (request: FastifyRequest): Record<string, unknown> {
    const spec = inits.get(String(request.headers['x-case']))
    if (spec === undefined) throw new Error('no case')
    const members: Record<string, unknown> = {}
    for (const [name, field] of spec.fields) {
      Object.defineProperty(members, name, { enumerable: true, configurable: true, writable: true, value: hostile({ kind: 'object', base: 'plain', fields: [['v', field]], wrap: 'none' }) as unknown })
      // Lift the built member out of its holder, keeping getters and cycles intact.
      const holder = Object.getOwnPropertyDescriptor(members[name] as object, 'v') as PropertyDescriptor
      Object.defineProperty(members, name, { ...holder, enumerable: true, configurable: true })
    }
    return members
  }
  function initOf (request: FastifyRequest): ProblemInit {
    return { status: inits.get(String(request.headers['x-case']))?.status as number, extensions: membersOf(request) }
  }
  app.get('/ok', async () => ({ ok: true }))
  app.get('/throw', async (request) => { throw new ProblemError(initOf(request)) })
  app.get('/reply', async (request, reply) => reply.problem(initOf(request)))
  app.get('/helper', async (request, reply) => reply.conflict('taken', membersOf(request)))
  await app.ready()

  await check(t, 'hostile extension members', fc.asyncProperty(statusLike, extensionSpec, fc.constantFrom('/throw', '/reply', '/helper'), accept, async (status, fields, url, accept) => {
    const id = String(nextCase++)
    inits.set(id, { status, fields })
    try {
      const res = await bounded(app, { url, headers: accept === undefined ? { 'x-case': id } : { 'x-case': id, accept } })
      assertProblem(res)
      await assertServing(app)
    } finally {
      inits.delete(id)
    }
  }))
})

/** The members of a `ProblemError` a route or a mapper can change after construction. */
const mutableMember = fc.constantFrom('title', 'detail', 'type', 'instance', 'extensions', 'headers', 'status')
/** What a member is changed to: undefined, a function, a symbol, a number, a getter that throws, and every hostile value. */
const mutation: fc.Arbitrary<FieldSpec> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(undefined, null, () => 'x', Symbol('m'), 42, -1, NaN, '', 'about:blank', 'x"y<z> é', { a: 1 }, [1], 10n, new Date(8.64e15))
      .map((value) => ({ kind: 'value' as const, value }))
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'throws' as const }) },
  { weight: 3, arbitrary: fieldSpec },
  { weight: 1, arbitrary: headers.map((value) => ({ kind: 'value' as const, value })) }
)
/** What `genReqId` returns: a string, or anything at all. */
const requestId = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(undefined, null, 7, NaN, 10n, Symbol('id'), { id: 1 }, () => 'x', ''), anything)

t.test('problems changed after construction, and odd request ids, answer valid problems', async (t) => {
  const cases = new Map<string, { mutations: Array<[string, FieldSpec]>, id: unknown, init: Record<string, unknown> }>()
  const app = await build(t, {}, {
    logger: { level: 'info', stream: nullStream() },
    genReqId: (req) => cases.get(String(req.headers['x-case']))?.id as string
  })
  function mutated (request: FastifyRequest): ProblemError {
    const spec = cases.get(String(request.headers['x-case']))
    if (spec === undefined) throw new Error('no case')
    const problem = new ProblemError({ status: 409, type: 'https://example.com/conflict', title: 'Conflict', detail: 'd', instance: '/i', headers: { 'retry-after': 5 }, ...spec.init })
    for (const [name, field] of spec.mutations) {
      // Built as a member of a holder, then moved onto the problem with its getter or cycle intact.
      const holder = hostile({ kind: 'object', base: 'plain', fields: [['v', field]], wrap: 'none' }) as object
      const descriptor = Object.getOwnPropertyDescriptor(holder, 'v') as PropertyDescriptor
      Object.defineProperty(problem, name, { ...descriptor, configurable: true })
    }
    return problem
  }
  app.get('/ok', async () => ({ ok: true }))
  app.get('/throw', async (request) => { throw mutated(request) })
  app.get('/reply', async (request, reply) => reply.problem(mutated(request)))
  await app.ready()

  const init = fc.record({ status: statusLike, retryAfter: fc.oneof(fc.double(), fc.date({ noInvalidDate: false }), fc.integer()) }, { requiredKeys: [] })
  await check(t, 'problems changed after construction', fc.asyncProperty(fc.array(fc.tuple(mutableMember, mutation), { maxLength: 4 }), requestId, init, fc.constantFrom('/throw', '/reply'), accept,
    async (mutations, id, init, url, accept) => {
      const key = String(nextCase++)
      cases.set(key, { mutations, id, init })
      try {
        const res = await bounded(app, { url, headers: accept === undefined ? { 'x-case': key } : { 'x-case': key, accept } })
        assertProblem(res)
        await assertServing(app)
      } finally {
        cases.delete(key)
      }
    }))
})

t.test('BigInt extension members are sent as decimal strings', async (t) => {
  const app = await build(t)
  app.get('/', async () => { throw new ProblemError({ status: 409, extensions: { balance: 12345678901234567890n, nested: { big: 1n } } }) })
  const res = await app.inject('/')
  t.equal(res.statusCode, 409)
  t.equal(res.json().balance, '12345678901234567890')
  t.same(res.json().nested, { big: '1' })
})

// --- regressions: cases the properties found, kept as plain tests ---------------

t.test('found by the properties: a hostile value from a mapper never reaches Fastify\'s default handler', async (t) => {
  class Mapped extends Error {}
  let mode = ''
  const app = await build(t, {}, { logger: { level: 'info', stream: nullStream() } })
  app.problemDetails.map(Mapped, () => {
    // A mapper that throws a revoked Proxy: logging it used to throw out of the error handler.
    if (mode === 'throw-revoked') throw hostile({ kind: 'object', base: 'plain', fields: [], wrap: 'revoked' })
    // A Proxy of a ProblemError whose every read throws: reading its status used to escape.
    if (mode === 'proxy-throws') return hostile({ kind: 'object', base: 'ProblemError', fields: [], wrap: 'proxyGetThrows' }) as ProblemError
    // A Proxy of a ProblemError that claims status 200: it used to be sent as a success.
    return hostile({ kind: 'object', base: 'ProblemError', fields: [], wrap: 'proxyLies' }) as ProblemError
  })
  app.get('/', async () => { throw new Mapped('secret mapper input') })
  for (mode of ['throw-revoked', 'proxy-throws', 'proxy-lies']) {
    const res = await app.inject('/')
    t.equal(res.statusCode, 500, mode)
    t.equal(res.headers['content-type'], 'application/problem+json', `${mode}: a problem, not Fastify's default error`)
    t.equal(res.json().status, 500)
    t.notMatch(res.body, /hostile|secret/, `${mode}: nothing of the hostile value`)
  }
})
