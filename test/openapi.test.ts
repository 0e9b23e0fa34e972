import t from 'tap'
import { type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import SwaggerParser from '@apidevtools/swagger-parser'
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
// Version 6 of the type provider, on the `typebox` 1.x package, installed side
// by side under an npm alias.
import { Type as Type1, TypeBoxValidatorCompiler as Compiler1, type TypeBoxTypeProvider as Provider1 } from 'type-provider-typebox-6'
import {
  defineProblem,
  problemResponses,
  refResolver,
  ProblemDetails,
  ProblemDetailsRef,
  ValidationProblem,
  type ProblemDetailsOptions
} from '../lib/index.js'
import { build, type Teardown } from './helpers.js'

// The catalogue is process-wide: every type in this file starts with "oas-".
const OutOfCredit = defineProblem({
  type: 'oas-out-of-credit',
  status: 403,
  title: 'You do not have enough credit',
  extensions: Type.Object({ balance: Type.Number(), accounts: Type.Array(Type.String()) })
})
const Suspended = defineProblem({ type: 'oas-account-suspended', status: 403, title: 'The account is suspended' })

const User = Type.Object({ id: Type.String(), name: Type.String() })

interface Documented {
  app: FastifyInstance
  doc: any
}

/** An app with the plugin, the real @fastify/swagger and a few routes. */
async function documented (t: Teardown, options: ProblemDetailsOptions, routes: (app: FastifyInstance) => void): Promise<Documented> {
  const app = (await build(t, options)).withTypeProvider<TypeBoxTypeProvider>()
  await app.register(swagger, {
    openapi: { openapi: '3.0.3', info: { title: 'test', version: '1.0.0' } },
    refResolver
  })
  routes(app as unknown as FastifyInstance)
  await app.ready()
  return { app: app as unknown as FastifyInstance, doc: app.swagger() }
}

const problemJson = (ref: string): object => ({ 'application/problem+json': { schema: { $ref: '#/components/schemas/' + ref } } })
/** The pins of a status entry: type about:blank, status the entry's (const is enum in OpenAPI 3.0). */
const pins = (status: number): object => ({
  type: 'object',
  required: ['type', 'status'],
  properties: { type: { type: 'string', enum: ['about:blank'] }, status: { type: 'integer', enum: [status] } }
})
/** What a status entry documents: ProblemDetails with its type and status pinned, and an example problem. */
const statusJson = (status: number, title: string): object => ({
  'application/problem+json': {
    schema: { allOf: [{ $ref: '#/components/schemas/ProblemDetails' }, pins(status)] },
    example: { type: 'about:blank', title, status, detail: `An example ${title} problem`, instance: '/example' }
  }
})
/** What the validation entry documents: ValidationProblemDetails pinned to about:blank and the validationStatus. */
const validationJson = (status: number): object => ({
  'application/problem+json': {
    schema: { allOf: [{ $ref: '#/components/schemas/ValidationProblemDetails' }, pins(status)] },
    example: {
      type: 'about:blank',
      title: status === 400 ? 'Bad Request' : 'Unprocessable Content',
      status,
      detail: 'body/email must match format "email"',
      instance: '/example',
      errors: [{ detail: 'must match format "email"', pointer: '#/body/email' }]
    }
  }
})

t.test('the OpenAPI document: problem responses, readable component names, valid', async (t) => {
  const { app, doc } = await documented(t, { typeBase: 'https://api.example.com/problems/', openapi: { defaultResponses: true } }, (app) => {
    const typed = app.withTypeProvider<TypeBoxTypeProvider>()
    typed.get('/users/:id', {
      schema: { params: Type.Object({ id: Type.String() }), response: { 200: User, ...problemResponses(404, OutOfCredit) } }
    }, async (request, reply) => {
      if (request.params.id === 'poor') throw new OutOfCredit({ detail: 'Your balance is 20, the cost is 30', balance: 20, accounts: ['/a/12345'] })
      if (request.params.id !== '1') return reply.notFound(`User ${request.params.id} does not exist`)
      return { id: '1', name: 'Ada' }
    })
    typed.post('/users', { schema: { body: User, response: { 201: User, ...problemResponses(OutOfCredit, Suspended) } } },
      async (request, reply) => reply.code(201).send(request.body))
    typed.get('/ref', { schema: { response: { 418: { description: 'teapot', content: { 'application/problem+json': { schema: ProblemDetailsRef } } } } } },
      async (_req, reply) => reply.imateapot())
    // A type defined after register, used in a child context.
    const Late = defineProblem({ type: 'oas-late', status: 410, title: 'Defined after register', extensions: Type.Object({ since: Type.String({ format: 'date' }) }) })
    app.register(async (child) => {
      child.get('/late', { schema: { response: problemResponses(Late) } }, async () => { throw new Late({ since: '2026-01-01' }) })
    })
  })

  // Readable names under components.schemas.
  t.same(Object.keys(doc.components.schemas).sort(),
    ['OasAccountSuspendedProblem', 'OasLateProblem', 'OasOutOfCreditProblem', 'ProblemDetails', 'ValidationProblemDetails'])
  t.notMatch(JSON.stringify(doc), /def-\d/, 'no numbered schema names')

  const get = doc.paths['/users/{id}'].get.responses
  t.same(get['404'], { description: 'Not Found', content: statusJson(404, 'Not Found') })
  t.same(get['403'], { description: 'You do not have enough credit', content: problemJson('OasOutOfCreditProblem') })
  t.same(get['400'].content, validationJson(400), 'defaultResponses: 400 validation, status and type pinned')
  t.same(get['500'].content, statusJson(500, 'Internal Server Error'), 'defaultResponses: 500')
  const post = doc.paths['/users'].post.responses
  t.same(post['403'].content['application/problem+json'].schema, {
    anyOf: [{ $ref: '#/components/schemas/OasOutOfCreditProblem' }, { $ref: '#/components/schemas/OasAccountSuspendedProblem' }]
  }, 'two types at one status are documented as anyOf')
  t.equal(post['403'].description, 'You do not have enough credit | The account is suspended')
  t.same(doc.paths['/ref'].get.responses['418'].content, problemJson('ProblemDetails'))
  t.same(doc.paths['/late'].get.responses['410'].content, problemJson('OasLateProblem'))

  const oas = doc.components.schemas.OasOutOfCreditProblem
  t.same(oas.required, ['type', 'title', 'status', 'balance', 'accounts'])
  t.same(oas.properties.status.enum, [403], '@fastify/swagger turns the const status into an enum')
  t.equal(oas.properties.accounts.type, 'array')

  await SwaggerParser.validate(structuredClone(doc))
  t.pass('the document validates with @apidevtools/swagger-parser')

  // The documented responses are the ones sent.
  const poor = await app.inject('/users/poor')
  t.equal(poor.statusCode, 403)
  t.same(poor.json().accounts, ['/a/12345'])
  t.equal(poor.json().type, 'https://api.example.com/problems/oas-out-of-credit')
  const invalid = await app.inject({ method: 'POST', url: '/users', payload: { id: 1 } })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.json().errors, [{ pointer: '#/body/name' }])
  t.equal((await app.inject('/late')).json().since, '2026-01-01')
  t.equal((await app.inject('/ref')).statusCode, 418)
})

t.test('validationStatus 422 documents validation problems at 422', async (t) => {
  const { app, doc } = await documented(t, { validationStatus: 422, openapi: { defaultResponses: true } }, (app) => {
    app.post('/explicit', { schema: { body: User, response: problemResponses(ValidationProblem, 409) } }, async () => 'ok')
    app.post('/default', { schema: { body: User } }, async () => 'ok')
  })
  for (const path of ['/explicit', '/default']) {
    const responses = doc.paths[path].post.responses
    t.same(responses['422'].content, validationJson(422), path + ': the validation problem, its status pinned to 422')
    t.same(responses['400'].content, statusJson(400, 'Bad Request'), path + ': 400 is the unreadable body only')
    t.equal((await app.inject({ method: 'POST', url: path, payload: {} })).statusCode, 422)
  }
  t.same(doc.paths['/explicit'].post.responses['409'].content, statusJson(409, 'Conflict'))
  await SwaggerParser.validate(structuredClone(doc))
})

t.test('default responses never replace what a route declares, skip hidden routes and leave shared schema objects alone', async (t) => {
  const own = { description: 'mine', content: { 'application/problem+json': { schema: ProblemDetailsRef } } }
  const shared = { response: { 200: User } }
  const { app, doc } = await documented(t, { openapi: { defaultResponses: true } }, (app) => {
    app.get('/own', { schema: { response: { 400: own, '5xx': own } } }, async () => 'x')
    app.get('/default', { schema: { response: { default: own } } }, async () => 'x')
    app.get('/hidden', { schema: { hide: true } as never }, async () => 'x')
    app.get('/a', { schema: shared }, async () => ({ id: '1', name: 'a' }))
    app.get('/b', { schema: shared }, async () => ({ id: '1', name: 'b' }))
    app.get('/none', async () => 'x')
  })
  t.same(Object.keys(doc.paths['/own'].get.responses).sort(), ['400', '5XX'])
  t.equal(doc.paths['/own'].get.responses['400'].description, 'mine')
  t.same(Object.keys(doc.paths['/default'].get.responses), ['default'])
  t.equal(doc.paths['/hidden'], undefined)
  t.same(Object.keys(doc.paths['/a'].get.responses).sort(), ['200', '500'], 'a GET without validation schemas answers no 400')
  t.same(Object.keys(shared.response), ['200'], 'the shared schema object is not changed')
  t.same(doc.paths['/none'].get.responses, {
    200: { description: 'Default Response' },
    500: { description: 'An unexpected error: nothing of it is disclosed (RFC 9457 §5).', content: statusJson(500, 'Internal Server Error') }
  }, 'a route without a schema keeps its 200 and gets the 500')
  t.equal((await app.inject('/none')).body, 'x', 'and answers as before')
})

t.test('without the option nothing is added; refs to the shared schemas work anywhere', async (t) => {
  const { app, doc } = await documented(t, {}, (app) => {
    app.get('/plain', async () => 'x')
    app.register(async (child) => {
      child.get('/child', { schema: { response: { 404: { $ref: 'ProblemDetails#' } } } }, async (_req, reply) => reply.notFound('no', { extra: 1 }))
    })
  })
  t.same(Object.keys(doc.paths['/plain'].get.responses), ['200'])
  const res = await app.inject('/child')
  t.equal(res.statusCode, 404)
  t.equal(res.json().extra, 1)
})

t.test('problemResponses() refuses what it cannot document', async (t) => {
  t.throws(() => problemResponses(200), /statuses 400–599/)
  t.throws(() => problemResponses({} as never), /takes statuses, classes from defineProblem\(\) and ValidationProblem/)
  t.same(Object.keys(problemResponses(404, 500, OutOfCredit)), ['403', '404', '500'])
})

t.test('refResolver names shared schemas by $id, and numbers the rest', async (t) => {
  t.equal(refResolver.buildLocalReference({ $id: 'ProblemDetails' }, '', '', 0), 'ProblemDetails')
  t.equal(refResolver.buildLocalReference({ $id: 'https://x.example/s.json' }, '', '', 3), 'def-3')
  t.equal(refResolver.buildLocalReference({}, '', '', 4), 'def-4')
})

t.test('@fastify/type-provider-typebox 6 (typebox 1.x): route schemas, its validator, problem responses', async (t) => {
  const { app, doc } = await documented(t, { openapi: { defaultResponses: true } }, (app) => {
    const typed = app.withTypeProvider<Provider1>()
    typed.setValidatorCompiler(Compiler1)
    typed.post('/accounts/:id', {
      schema: {
        params: Type1.Object({ id: Type1.String() }),
        body: Type1.Object({ name: Type1.String(), email: Type1.String() }, { additionalProperties: false }),
        response: { 200: Type1.Object({ id: Type1.String(), name: Type1.String() }), 404: Type1.Unsafe<Static<typeof ProblemDetails>>(Type1.Ref('ProblemDetails')), ...problemResponses(OutOfCredit) }
      }
    }, async (request) => {
      if (request.params.id === 'poor') throw new OutOfCredit({ balance: 1, accounts: [] })
      return { id: request.params.id, name: request.body.name }
    })
  })
  const responses = doc.paths['/accounts/{id}'].post.responses
  t.same(responses['403'].content, problemJson('OasOutOfCreditProblem'))
  t.same(responses['400'].content['application/problem+json'].schema.anyOf, [
    (validationJson(400) as any)['application/problem+json'].schema,
    (statusJson(400, 'Bad Request') as any)['application/problem+json'].schema
  ], 'validation problems, or an unreadable body')
  t.same(responses['404'].content, problemJson('ProblemDetails'), 'a typed typebox 1.x ref to a shared schema, as application/problem+json')
  await SwaggerParser.validate(structuredClone(doc))

  const ok = await app.inject({ method: 'POST', url: '/accounts/1', payload: { name: 'Ada', email: 'a@example.com' } })
  t.same(ok.json(), { id: '1', name: 'Ada' })
  t.same((await app.inject({ method: 'POST', url: '/accounts/poor', payload: { name: 'A', email: 'e' } })).json().accounts, [])
  // TypeBox 1.x names every missing member in one error: one errors[] entry each.
  const invalid = await app.inject({ method: 'POST', url: '/accounts/1', payload: { extra: true } })
  t.equal(invalid.statusCode, 400)
  const pointers = new Set(invalid.json().errors.map((e: { pointer: string }) => e.pointer))
  t.same([...pointers].sort(), ['#/body/email', '#/body/extra', '#/body/name'])
  t.match(invalid.json().errors, [{ detail: "must have required property 'name'", pointer: '#/body/name' }, { detail: "must have required property 'email'" }])
})

t.test('401, 405, 429 and 503 problem entries document their headers, however the route writes them', async (t) => {
  const Busy = defineProblem({ type: 'oas-busy', status: 503, title: 'Busy', headers: { 'X-Busy': 'yes' } })
  const { doc } = await documented(t, {}, (app) => {
    app.get('/headers', {
      schema: {
        response: {
          401: ProblemDetailsRef,
          405: { description: 'no', content: { 'application/json': { schema: ProblemDetailsRef } } },
          429: { description: 'slow', headers: { 'retry-after': { type: 'string', description: 'mine' }, 'X-Limit': { type: 'string', description: 'the limit' } }, content: { 'application/problem+json': { schema: ProblemDetailsRef } } },
          ...problemResponses(Busy),
          404: ProblemDetailsRef
        }
      }
    }, async () => 'x')
    app.get('/mine', { schema: { response: { 401: { description: 'not a problem', type: 'string' } } } }, async () => 'x')
  })
  const responses = doc.paths['/headers'].get.responses
  const names = (status: number): string[] => Object.keys(responses[status].headers ?? {}).sort()
  t.same(names(401), ['WWW-Authenticate'], 'a bare ref at 401: WWW-Authenticate')
  t.same(names(405), ['Allow'], 'a content map at 405: Allow')
  t.same(names(429), ['X-Limit', 'retry-after'], 'the route\'s own headers are kept, Retry-After not doubled')
  t.equal(responses['429'].headers['retry-after'].description, 'mine')
  t.same(names(503), ['Retry-After', 'X-Busy'], 'a defined type at 503: Retry-After and its own header')
  t.same(names(404), [], 'no headers at other statuses')
  t.equal(responses['401'].headers['WWW-Authenticate'].schema.type, 'string', 'documented as OpenAPI 3 header objects')
  t.notOk(doc.paths['/mine'].get.responses['401'].headers, 'an entry that is not a problem is left alone')
  await SwaggerParser.validate(structuredClone(doc))
})

t.test('a status and defined types of that status: documented as anyOf, each pinned', async (t) => {
  const Hidden = defineProblem({ type: 'oas-hidden', status: 404, title: 'Hidden', extensions: Type.Object({ moved: Type.String({ format: 'uri-reference' }) }) })
  const { doc } = await documented(t, {}, (app) => {
    app.get('/both', { schema: { response: problemResponses(404, Hidden) } }, async () => 'x')
  })
  const entry = doc.paths['/both'].get.responses['404']
  t.equal(entry.description, 'Not Found | Hidden')
  t.same(entry.content['application/problem+json'].schema.anyOf, [
    { allOf: [{ $ref: '#/components/schemas/ProblemDetails' }, pins(404)] },
    { $ref: '#/components/schemas/OasHiddenProblem' }
  ])
  t.same(doc.components.schemas.OasHiddenProblem.properties.type.enum, ['oas-hidden'])
  t.equal(doc.components.schemas.OasHiddenProblem.example.moved, '/example', 'a URI reference member\'s example is a URI reference')
})

t.test('problemResponses(ValidationProblem) tells the whole 400: with a plain 400, and on routes that read a body', async (t) => {
  const anyOf400 = [(validationJson(400) as any)['application/problem+json'].schema, (statusJson(400, 'Bad Request') as any)['application/problem+json'].schema]
  for (const validationStatus of [400, 422] as const) {
    const { doc } = await documented(t, { validationStatus }, (app) => {
      app.post('/body', { schema: { body: User, response: problemResponses(ValidationProblem) } }, async () => 'x')
      app.get('/query', { schema: { querystring: User, response: problemResponses(ValidationProblem) } }, async () => 'x')
      app.get('/both', { schema: { querystring: User, response: problemResponses(400, ValidationProblem) } }, async () => 'x')
      app.get('/reversed', { schema: { querystring: User, response: problemResponses(ValidationProblem, 400) } }, async () => 'x')
    })
    const at = (path: string, method: string, status: number): any => doc.paths[path][method].responses[status]?.content['application/problem+json'].schema
    if (validationStatus === 400) {
      t.same(at('/body', 'post', 400).anyOf, anyOf400, '400: a POST can also answer the unreadable body')
      t.same(at('/query', 'get', 400), (validationJson(400) as any)['application/problem+json'].schema, '400: a GET answers only validation problems')
      t.same(at('/both', 'get', 400).anyOf, anyOf400, '400 and ValidationProblem: either')
      t.same(at('/reversed', 'get', 400).anyOf, anyOf400, 'in either order')
    } else {
      t.same(at('/body', 'post', 422), (validationJson(422) as any)['application/problem+json'].schema, '422: the validation problem')
      t.notOk(at('/body', 'post', 400), 'no 400 where none was declared')
      t.same(at('/both', 'get', 422), (validationJson(422) as any)['application/problem+json'].schema)
      t.same(at('/both', 'get', 400), (statusJson(400, 'Bad Request') as any)['application/problem+json'].schema, 'the declared 400 stays a plain 400')
      t.same(at('/reversed', 'get', 400), at('/both', 'get', 400), 'in either order')
    }
    await SwaggerParser.validate(structuredClone(doc))
  }
})
