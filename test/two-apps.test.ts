import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import problemDetails, {
  RegistrationError, ValidationProblem, defineProblem, problemResponses, refResolver,
  type ProblemDetailsOptions
} from '../lib/index.js'

// Two apps in one process share definitions (they are code) and nothing else
// (docs/registry.md#one-app-one-state): not mappings, documented types,
// options or caches.

class Teapot extends Error {}

/** An app with the plugin and the real @fastify/swagger, closed when the test ends. */
async function app (t: Test, options: ProblemDetailsOptions = {}): Promise<FastifyInstance> {
  const fastify = Fastify()
  t.teardown(() => fastify.close())
  await fastify.register(problemDetails, options)
  await fastify.register(swagger, { openapi: { openapi: '3.0.3', info: { title: 'x', version: '1' } }, refResolver })
  return fastify
}

t.test('one app\'s mappings never reach another, and the registry\'s internals are not reachable', async (t) => {
  const a = await app(t)
  const b = await app(t)
  const registry = a.problemDetails as unknown as Record<string, unknown>

  // The attack of issue 10: appA.problemDetails.parent.map(Teapot, …) changed every app.
  t.equal(registry.parent, undefined, 'no parent')
  t.equal(registry.settings, undefined, 'no settings')
  t.equal(registry.add, undefined, 'no add')
  t.throws(() => (registry.parent as { map: (...args: unknown[]) => unknown }).map(Teapot, () => ({ status: 418 })), TypeError)
  t.same(Object.getOwnPropertyNames(registry), [], 'no own properties')
  t.same(Object.getOwnPropertySymbols(registry), [], 'no symbol-keyed internals either')
  const proto = Object.getPrototypeOf(registry) as Record<string, unknown>
  t.same(Object.getOwnPropertyNames(proto).sort(), ['constructor', 'document', 'map', 'match', 'resolve', 'types'])
  t.ok(Object.isFrozen(proto), 'the shared prototype cannot be patched')
  t.throws(() => { proto.match = () => ({ status: 418 }) }, TypeError)
  t.ok(Object.isFrozen(proto.constructor))

  // A registry built from the constructor reached through an instance is nobody's.
  const Stray = proto.constructor as new (parent: null, settings: object) => { map: (m: unknown, f: unknown) => unknown }
  new Stray(null, { validationStatus: 400, exposeDetails: false }).map(Teapot, () => ({ status: 418 }))

  a.problemDetails.map(Teapot, () => ({ status: 418 }))
  let childParent: unknown = 'unset'
  await a.register(async (child) => {
    childParent = (child.problemDetails as unknown as Record<string, unknown>).parent
    child.problemDetails.map(RangeError, () => ({ status: 416 }))
    child.get('/child-range', async () => { throw new RangeError('x') })
  })
  for (const fastify of [a, b]) {
    fastify.get('/teapot', async () => { throw new Teapot('short and stout') })
    fastify.get('/range', async () => { throw new RangeError('x') })
  }
  t.equal(childParent, undefined, 'a child context\'s registry has no parent either')
  t.equal((await a.inject('/teapot')).statusCode, 418, 'A answers its own mapping')
  t.equal((await b.inject('/teapot')).statusCode, 500, 'B never sees A\'s mapping')
  t.equal((await a.inject('/child-range')).statusCode, 416)
  t.equal((await a.inject('/range')).statusCode, 500, 'a child\'s mapping stays in the child')
  t.equal((await b.inject('/range')).statusCode, 500)
})

t.test('map() and document() after ready throw, and say so', async (t) => {
  const Late = defineProblem({ type: 'two-apps/late', status: 409, title: 'Listed too late' })
  const a = await app(t)
  let child: FastifyInstance | undefined
  await a.register(async (instance) => { child = instance })
  a.get('/teapot', async () => { throw new Teapot('x') })
  await a.ready()
  const late = /after the app was ready/
  t.throws(() => a.problemDetails.map(Teapot, () => ({ status: 418 })), RegistrationError)
  t.throws(() => a.problemDetails.map(Teapot, () => ({ status: 418 })), late)
  t.throws(() => child!.problemDetails.map('E_LATE', () => ({ status: 418 })), late, 'in a child context too')
  t.throws(() => a.problemDetails.document(Late), late)
  t.equal((await a.inject('/teapot')).statusCode, 500, 'nothing was added')

  // Before ready they are fine, in the root and in a child.
  const b = await app(t)
  t.equal(b.problemDetails.map(Teapot, () => ({ status: 418 })), b.problemDetails, 'map() chains')
  t.equal(b.problemDetails.document(Late), b.problemDetails, 'document() chains')
  t.throws(() => b.problemDetails.document({} as never), TypeError, 'document() takes defined classes only')
  t.throws(() => b.problemDetails.document(class Other {} as never), /classes made by defineProblem/)
})

const InA = defineProblem({ type: 'two-apps/in-a', status: 409, title: 'Only in A' })
const ByRef = defineProblem({ type: 'two-apps/by-ref', status: 403, title: 'Referenced by .ref in a child of A' })
const Listed = defineProblem({ type: 'two-apps/listed', status: 422, title: 'Listed by A' })
const InB = defineProblem({ type: 'two-apps/in-b', status: 410, title: 'Only in B' })
const Thrown = defineProblem({ type: 'two-apps/thrown', status: 400, title: 'Thrown, never referenced' })
const OURS = ['InAProblem', 'ByRefProblem', 'ListedProblem', 'InBProblem', 'ThrownProblem']

t.test('each app documents the types its routes reference and those it lists, and no others', async (t) => {
  const a = await app(t, { typeBase: '/problems/', typeDocs: true })
  const b = await app(t, { typeBase: '/problems/', typeDocs: true })
  a.problemDetails.document(Listed)
  a.get('/a', { schema: { response: problemResponses(InA) } }, async () => { throw new InA() })
  await a.register(async (child) => {
    child.get('/by-ref', { schema: { response: { 403: ByRef.ref } } }, async () => { throw new ByRef() })
  })
  // A plain JSON Schema $ref still resolves: the schema is added before Fastify compiles the route.
  b.get('/b', { schema: { response: { 410: { $ref: 'InBProblem#' } } } }, async () => { throw new InB() })
  b.get('/thrown', async () => { throw new Thrown() })
  await a.ready()
  await b.ready()

  const components = (fastify: FastifyInstance): string[] =>
    Object.keys((fastify.swagger() as { components: { schemas: object } }).components.schemas)
  t.same(components(a).filter((id) => OURS.includes(id)).sort(), ['ByRefProblem', 'InAProblem', 'ListedProblem'], 'A\'s OpenAPI components')
  t.same(components(b).filter((id) => OURS.includes(id)), ['InBProblem'], 'B\'s OpenAPI components')
  t.ok(components(b).includes('ProblemDetails'), 'the plugin\'s own schemas are in every app')
  t.equal(a.getSchema('InBProblem'), undefined, 'B\'s type is not a shared schema of A')
  t.equal(b.getSchema('ListedProblem'), undefined)

  t.same(a.problemDetails.types.map((e) => e.type), ['two-apps/in-a', 'two-apps/by-ref', 'two-apps/listed'], 'in definition order')
  t.same(b.problemDetails.types.map((e) => e.type), ['two-apps/in-b'])
  t.ok(Object.isFrozen(a.problemDetails.types), 'types cannot be changed from outside')
  t.ok(Object.isFrozen(a.problemDetails.types[0]), 'nor its entries')

  const index = async (fastify: FastifyInstance): Promise<string[]> =>
    (await fastify.inject({ url: '/problems/', headers: { accept: 'application/json' } })).json().types.map((e: { title: string }) => e.title)
  t.same(await index(a), ['Only in A', 'Referenced by .ref in a child of A', 'Listed by A'], 'A\'s catalogue')
  t.same(await index(b), ['Only in B'], 'B\'s catalogue')
  t.equal((await a.inject('/problems/two-apps/in-b')).statusCode, 404, 'no page for B\'s type in A')
  t.equal((await b.inject('/problems/two-apps/in-b')).statusCode, 200)
  t.equal((await b.inject('/problems/two-apps/thrown')).statusCode, 404, 'a type thrown but never referenced has no page')

  // Documenting changes no answer.
  const thrown = await b.inject('/thrown')
  t.equal(thrown.statusCode, 400)
  t.equal(thrown.json().type, '/problems/two-apps/thrown')
  t.equal((await b.inject('/b')).json().type, '/problems/two-apps/in-b')
})

t.test('options belong to their app', async (t) => {
  const a = await app(t, { validationStatus: 422, typeBase: 'https://a.example/problems/', requestIdMember: 'rid', compat: 'fastify' })
  const b = await app(t, { typeBase: '/b/problems/' })
  for (const fastify of [a, b]) {
    fastify.get('/invalid', async () => { throw new ValidationProblem([{ detail: 'must be a string', pointer: '#/body/name' }]) })
    fastify.get('/thrown', async () => { throw new Thrown() })
  }
  for (let round = 0; round < 2; round++) {
    const invalidA = await a.inject('/invalid')
    const invalidB = await b.inject('/invalid')
    t.equal(invalidA.statusCode, 422)
    t.equal(invalidB.statusCode, 400)
    t.ok('rid' in invalidA.json() && !('requestId' in invalidA.json()))
    t.ok('requestId' in invalidB.json() && !('rid' in invalidB.json()))
    t.equal(invalidA.json().statusCode, 422, 'compat members in A')
    t.notOk('statusCode' in invalidB.json(), 'not in B')
    t.equal((await a.inject('/thrown')).json().type, 'https://a.example/problems/two-apps/thrown')
    t.equal((await b.inject('/thrown')).json().type, '/b/problems/two-apps/thrown', 'each app resolves against its own typeBase')
  }
})

t.test('caches belong to their app: resolved types, translations, negotiation', async (t) => {
  const a = await app(t, { typeBase: 'https://a.example/p/', locales: { de: { 404: 'Nicht gefunden', 'two-apps/thrown': 'Geworfen' } } })
  const b = await app(t, { typeBase: 'https://b.example/p/', locales: { fr: { 404: 'Introuvable' } } })
  for (const fastify of [a, b]) {
    fastify.get('/missing', async (_request, reply) => reply.notFound())
    fastify.get('/thrown', async () => { throw new Thrown() })
  }
  // Interleaved, in both orders: what one app answered (and cached) never shows in the other.
  for (const [first, second] of [[a, b], [b, a]]) {
    for (const fastify of [first, second]) {
      const isA = fastify === a
      const missing = await fastify.inject({ url: '/missing', headers: { 'accept-language': 'de, fr;q=0.5', accept: 'application/problem+xml' } })
      t.equal(missing.headers['content-language'], isA ? 'de' : 'fr')
      t.match(missing.body, isA ? '<title>Nicht gefunden</title>' : '<title>Introuvable</title>')
      const thrown = await fastify.inject({ url: '/thrown', headers: { 'accept-language': 'de' } })
      t.equal(thrown.json().type, (isA ? 'https://a.example/p/' : 'https://b.example/p/') + 'two-apps/thrown')
      t.equal(thrown.json().title, isA ? 'Geworfen' : 'Thrown, never referenced')
      t.equal(thrown.headers['content-language'], isA ? 'de' : undefined)
    }
  }
})

t.test('references are found wherever a route puts them, and a type defined after its route still resolves', async (t) => {
  const Nested = defineProblem({ type: 'two-apps/nested', status: 409, title: 'In anyOf under content' })
  defineProblem({ type: 'two-apps/in-shared', status: 412, title: 'Named by a shared schema of the app' })
  const a = await app(t)
  a.addSchema({ $id: 'MyErrors', anyOf: [{ $ref: 'InSharedProblem#' }, { $ref: 'ProblemDetails#' }] })
  a.get('/nested', {
    schema: {
      response: {
        409: { description: 'x', content: { 'application/problem+json': { schema: { anyOf: [{ $ref: 'NestedProblem#/properties/status' }, { type: 'object' }] } } } },
        412: { $ref: 'MyErrors#' }
      }
    }
  }, async () => { throw new Nested() })
  // Referenced before it is defined: found when the next route is added.
  a.get('/early', { schema: { response: { 410: { $ref: 'DefinedLaterProblem#' } } } }, async () => 'x')
  defineProblem({ type: 'two-apps/defined-later', status: 410, title: 'Defined after the route that names it' })
  a.get('/next', async () => 'x')
  await a.register(async (child) => {
    child.problemDetails.document(Listed)
  })
  await a.ready()
  t.same(a.problemDetails.types.map((e) => e.schemaId), ['ListedProblem', 'NestedProblem', 'InSharedProblem', 'DefinedLaterProblem'])
  const components = Object.keys((a.swagger() as { components: { schemas: object } }).components.schemas)
  for (const id of ['NestedProblem', 'InSharedProblem', 'DefinedLaterProblem', 'ListedProblem']) t.ok(components.includes(id), id)
})

t.test('a schema object of another kind is read around, not tripped over', async (t) => {
  const Other = defineProblem({ type: 'two-apps/other-kind', status: 409, title: 'Beside a schema of another kind' })
  const fastify = Fastify()
  t.teardown(() => fastify.close())
  await fastify.register(problemDetails)
  // As with Zod's type provider: its own compilers, schema objects with getters.
  fastify.setSerializerCompiler(() => (data) => JSON.stringify(data))
  const awkward = Object.defineProperty({ description: 'x' }, 'boom', { enumerable: true, get () { throw new Error('no') } })
  fastify.get('/', { schema: { response: { 409: { anyOf: [awkward, Other.ref] } } } }, async () => { throw new Other() })
  await fastify.ready()
  t.same(fastify.problemDetails.types.map((e) => e.schemaId), ['OtherKindProblem'])
  t.equal((await fastify.inject('/')).statusCode, 409)
})
