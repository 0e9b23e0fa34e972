// @fastify/type-provider-json-schema-to-ts: problem bodies typed from this
// package's schemas (docs/openapi.md#plain-json-schema-and-fastifytype-provider-json-schema-to-ts).
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { expect, test } from 'tstyche'
import { ProblemDetails, ValidationProblem, ValidationProblemDetails, defineProblem, problemResponses } from '../lib/index.js'

const OutOfCredit = defineProblem({
  type: 'tst-jstt-out-of-credit',
  status: 403,
  title: 'You do not have enough credit',
  extensions: Type.Object({ balance: Type.Number(), accounts: Type.Array(Type.String()) })
})

// The shared schemas as references: `{ $ref: 'ProblemDetails#' }` resolves by their literal $ids.
type Provider = JsonSchemaToTsProvider<{ SerializerSchemaOptions: { references: [typeof ProblemDetails, typeof ValidationProblemDetails] } }>
const app = Fastify().withTypeProvider<Provider>()

test('a $ref to a shared schema types reply.code(status).send()', () => {
  app.get('/users/:id', {
    schema: {
      response: {
        200: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        404: { $ref: 'ProblemDetails#' },
        400: { $ref: 'ValidationProblemDetails#' }
      }
    } as const
  }, async (_request, reply) => {
    expect(reply.code(404).send({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No user 42' })).type.not.toRaiseError()
    expect(reply.code(404).send({ type: 'about:blank', title: 'Not Found', status: 404, userId: '42' })).type.not.toRaiseError()
    expect(reply.code(404).send({ type: 'about:blank', title: 'Not Found', status: '404' })).type.toRaiseError()
    expect(reply.code(404).send({ type: 'about:blank', status: 404 })).type.toRaiseError()
    expect(reply.code(400).send({ type: 'about:blank', title: 'Bad Request', status: 400, errors: [{ detail: 'must be a string', pointer: '#/body/name' }] })).type.not.toRaiseError()
    expect(reply.code(400).send({ type: 'about:blank', title: 'Bad Request', status: 400, errors: [{ pointer: '#/body/name' }] })).type.toRaiseError()
    expect(reply.code(400).send({ type: 'about:blank', title: 'Bad Request', status: 400 })).type.toRaiseError()
    return { id: '1' }
  })
})

test('the schemas themselves, in place, type it too: a defined type with its extension members', () => {
  app.get('/credit', { schema: { response: { 403: OutOfCredit.schema, 404: ProblemDetails } } }, async (_request, reply) => {
    expect(reply.code(403).send({ type: 'x', title: 't', status: 403, balance: 20, accounts: ['/a/1'] })).type.not.toRaiseError()
    expect(reply.code(403).send({ type: 'x', title: 't', status: 403, balance: '20', accounts: ['/a/1'] })).type.toRaiseError()
    expect(reply.code(403).send({ type: 'x', title: 't', status: 403, balance: 20 })).type.toRaiseError()
    expect(reply.code(404).send({ type: 'about:blank', title: 'Not Found', status: 404 })).type.not.toRaiseError()
    expect(reply.code(404).send({ type: 'about:blank', title: 404, status: 404 })).type.toRaiseError()
  })
})

test('problemResponses() entries: keyed by their literal statuses, typed returns', () => {
  const responses = problemResponses(404, 409, OutOfCredit, ValidationProblem)
  expect(responses).type.toHaveProperty(404)
  expect(responses).type.toHaveProperty(403)
  expect(responses).type.toHaveProperty(400)
  expect(responses).type.not.toHaveProperty(500)
  app.get('/orders/:id', {
    schema: { response: { 200: { type: 'string' }, ...problemResponses(404, 409) } } as const
  }, async (_request, reply) => {
    expect(reply.code(404)).type.not.toRaiseError()
    expect(reply.code(409)).type.not.toRaiseError()
    expect(reply.code(500)).type.toRaiseError()
    return 'ok'
  })
  // The handler's return type: the success body or a status problem with its status and about:blank.
  app.get('/a', { schema: { response: { 200: { type: 'string' }, ...problemResponses(404) } } as const },
    async () => ({ type: 'about:blank' as const, title: 'Not Found', status: 404 as const }))
  expect(app.get('/b', { schema: { response: { 200: { type: 'string' }, ...problemResponses(404) } } as const },
    async () => ({ type: 'about:blank' as const, title: 'Not Found', status: 405 as const }))).type.toRaiseError()
})
