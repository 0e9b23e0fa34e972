import t from 'tap'
import SwaggerParser from '@apidevtools/swagger-parser'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { InjectOptions } from 'fastify'
import { documentedApp } from './fixtures/documented-app.js'

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

interface Case {
  name: string
  /** The documented operation: path template and method; none for the unknown route. */
  path?: string
  request: InjectOptions
  status: number
}

const json = { 'content-type': 'application/json' }
const cases: Case[] = [
  { name: 'body validation', path: '/users', request: { method: 'POST', url: '/users', payload: { nom: 'x' } }, status: 400 },
  { name: 'querystring validation', path: '/users/{id}', request: { url: '/users/1?fields=A!' }, status: 400 },
  { name: 'params validation', path: '/users/{id}', request: { url: '/users/abc' }, status: 400 },
  { name: 'headers validation', path: '/users/{id}', request: { url: '/users/1', headers: { 'x-tenant': 'N0' } }, status: 400 },
  { name: 'malformed JSON body', path: '/users', request: { method: 'POST', url: '/users', headers: json, payload: '{"name":' }, status: 400 },
  { name: 'empty JSON body', path: '/users', request: { method: 'POST', url: '/users', headers: json, payload: '' }, status: 400 },
  { name: 'body too large', path: '/users', request: { method: 'POST', url: '/users', headers: json, payload: JSON.stringify({ name: 'x'.repeat(300) }) }, status: 413 },
  { name: 'unsupported media type', path: '/users', request: { method: 'POST', url: '/users', headers: { 'content-type': 'text/xml' }, payload: '<a/>' }, status: 415 },
  { name: 'unknown route', request: { url: '/nowhere' }, status: 404 },
  { name: 'reply.notFound()', path: '/users/{id}', request: { url: '/users/2' }, status: 404 },
  { name: 'a thrown status class', path: '/users', request: { method: 'POST', url: '/users', payload: { name: 'taken' } }, status: 409 },
  { name: 'a bare typed ref', path: '/teapot', request: { url: '/teapot' }, status: 418 },
  { name: 'a defined type', path: '/users', request: { method: 'POST', url: '/users', payload: { name: 'poor' } }, status: 403 },
  { name: 'the generic 500', path: '/boom', request: { url: '/boom' }, status: 500 },
  { name: 'rate limit', path: '/limited', request: { url: '/limited' }, status: 429 }
]

/** The documented response of an operation for a status: exact, then `4XX`, then `default`. */
function documented (responses: Record<string, any>, status: number): any {
  return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default
}

for (const validationStatus of [400, 422] as const) {
  t.test(`every problem the plugin answers is the documented response (validationStatus ${validationStatus})`, async (t) => {
    const app = await documentedApp({ validationStatus })
    t.teardown(() => app.close())
    const doc = await SwaggerParser.dereference(structuredClone(app.swagger()) as never) as any
    const ajv = addFormats(new Ajv({ strict: false, allErrors: true }))
    // An unknown route has no operation: its answer is a ProblemDetails.
    const anyProblem = ajv.compile(doc.components.schemas.ProblemDetails)
    await app.inject('/limited')
    for (const c of cases) {
      const status = c.status === 400 && !c.name.includes('JSON') && validationStatus === 422 ? 422 : c.status
      const res = await app.inject(c.request)
      t.equal(res.statusCode, status, `${c.name}: status`)
      const media = String(res.headers['content-type']).split(';')[0].trim()
      t.equal(media, 'application/problem+json', `${c.name}: media type`)
      const body = res.json()
      let validate = anyProblem
      if (c.path !== undefined) {
        const operation = doc.paths[c.path][String(c.request.method ?? 'GET').toLowerCase()]
        const response = documented(operation.responses, status)
        if (!t.ok(response?.content?.[media], `${c.name}: ${status} ${media} is documented`)) continue
        validate = ajv.compile(response.content[media].schema)
      }
      t.ok(validate(body), `${c.name}: the body matches the documented schema`) || t.comment(JSON.stringify({ body, errors: validate.errors }))
    }

    const get = doc.paths['/users/{id}'].get.responses
    t.notOk(get['413'] ?? get['415'], 'a GET documents no body problems')
    t.same(Object.keys(doc.paths['/teapot'].get.responses).sort(), ['200', '418', '500'], 'a GET without validation schemas: its 200, its own and the 500')
    const post = doc.paths['/users'].post.responses
    t.notOk('200' in post, 'no success entry is added where the route declares one')
    t.ok(doc.paths['/limited'].get.responses['429'].headers['Retry-After'], '429 documents Retry-After')

    // The examples Swagger UI shows are real problem documents of their schemas.
    let examples = 0
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      if (schema.example === undefined) continue
      examples++
      const { example, ...rest } = schema
      t.ok(ajv.validate(rest, example), `components.schemas.${name}: its example is valid`)
    }
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          const media = response.content?.['application/problem+json']
          if (media?.example === undefined) continue
          examples++
          t.ok(ajv.validate(media.schema, media.example) && media.example.status === Number(status), `${method} ${path} ${status}: its example is valid`)
        }
      }
    }
    t.ok(examples >= 10, `${examples} examples checked`)
    if (validationStatus === 422) t.notOk(post['400'].content['application/problem+json'].schema.properties?.errors, 'with 422 the 400 is the unreadable body, without errors[]')
  })
}

t.test('each app documents a defined type with its own type URI, status and members', async (t) => {
  const api = await documentedApp()
  const other = await documentedApp({ typeBase: '/errors/', requestIdMember: 'correlationId', traceIdMember: false, typeDocs: true })
  t.teardown(() => Promise.all([api.close(), other.close()]))
  const a = (api.swagger() as any).components.schemas
  const b = (other.swagger() as any).components.schemas
  t.same(a.TruthOutOfCreditProblem.properties.type.enum, ['https://api.example.com/problems/truth-out-of-credit'], 'type pinned to this app\'s URI')
  t.same(b.TruthOutOfCreditProblem.properties.type.enum, ['/errors/truth-out-of-credit'], 'the other app pins its own')
  t.same(a.TruthOutOfCreditProblem.properties.status.enum, [403])
  t.equal(a.TruthOutOfCreditProblem.example.type, 'https://api.example.com/problems/truth-out-of-credit', 'the example is the URI sent')
  t.match(b.TruthOutOfCreditProblem.description, /Documentation: \/errors\/truth-out-of-credit$/, 'the catalogue page is linked where it is served')
  t.notMatch(a.TruthOutOfCreditProblem.description, /Documentation:/, 'and not where it is not')
  for (const name of ['ProblemDetails', 'ValidationProblemDetails', 'TruthOutOfCreditProblem']) {
    t.ok(a[name].properties.requestId && a[name].properties.traceId, `${name}: requestId and traceId documented`)
    t.ok(b[name].properties.correlationId && b[name].properties.traceId === undefined, `${name}: the member this app chose, no traceId`)
  }
  const sent = await other.inject({ method: 'POST', url: '/users', payload: { name: 'poor' } })
  t.equal(sent.json().type, '/errors/truth-out-of-credit')
  t.type(sent.json().correlationId, 'string')
})
