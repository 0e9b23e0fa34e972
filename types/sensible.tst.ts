import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import { expect, test } from 'tstyche'
import problemDetails, { HttpProblem, type HttpErrors } from '../lib/index.js'

// @fastify/sensible's error API without @fastify/sensible (its own types are
// absent from this program; types/beside-sensible/ has both).
test('fastify.httpErrors', async () => {
  const app = Fastify()
  await app.register(problemDetails, { sharedSchemaId: 'HttpError' })
  expect(app.register(problemDetails, { sharedSchemaId: 42 })).type.toRaiseError()
  expect(app.httpErrors).type.toBe<HttpErrors>()
  expect(app.httpErrors.notFound()).type.toBe<HttpProblem<404>>()
  expect(app.httpErrors.conflict('Taken', { field: 'email' })).type.toBe<HttpProblem<409>>()
  expect(app.httpErrors.notFound(404)).type.toRaiseError()
  expect(app.httpErrors.noSuchName).type.toRaiseError()
  expect(app.httpErrors.createError(409, 'Taken', { field: 'email' })).type.toBe<HttpProblem>()
  expect(app.httpErrors.getHttpError(429, 'Slow down')).type.toBe<HttpProblem<429>>()
  expect(app.httpErrors.getHttpError('404')).type.toBe<HttpProblem<404>>()
  expect(app.httpErrors.HttpError).type.toBe<typeof HttpProblem>()

  const error = app.httpErrors.tooManyRequests('Slow down')
  error.headers = { 'retry-after': '30' }
  error.expose = true
  error.message = 'Slower'
  expect(error.status).type.toBe<429>()
  expect(error.statusCode).type.toBe<429>()
  expect(error.type).type.toBe<string>()
  expect(error.detail).type.toBe<string | undefined>()
  expect(error.extensions).type.toBe<Record<string, unknown>>()
})

test('fastify.assert narrows like node:assert', () => {
  const app: FastifyInstance = Fastify()
  const value: string | undefined = Math.random() > 1 ? 'x' : undefined
  app.assert(value, 400, 'value is required')
  expect(value).type.toBe<string>()
  const n: unknown = 1
  app.assert.strictEqual(n, 1 as const, 422)
  expect(n).type.toBe<1>()
  app.assert.ok(true)
  app.assert.equal(1, '1', 400, 'x')
  app.assert.deepEqual({ a: 1 }, { a: 1 }, 400)
  expect(app.assert(true, 'x')).type.toRaiseError()
})

test('reply.getHttpError', () => {
  const app = Fastify()
  app.get('/', async (_request, reply) => {
    expect(reply.getHttpError(404, 'No such user')).type.toBe<FastifyReply>()
    expect(reply.getHttpError('410')).type.toBe<FastifyReply>()
    expect(reply.getHttpError(404, 7)).type.toRaiseError()
    return reply.getHttpError(404)
  })
})
