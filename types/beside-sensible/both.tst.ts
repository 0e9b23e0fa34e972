import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import sensible, { type HttpError } from '@fastify/sensible'
import { expect, test } from 'tstyche'
import problemDetails from '../../lib/index.js'

// With both installed, the merged types compile; `fastify.httpErrors` keeps
// sensible's type (what the plugin's factories give back has all of it).
test('both registered', async () => {
  const app: FastifyInstance = Fastify()
  await app.register(sensible)
  await app.register(problemDetails, { sharedSchemaId: 'HttpError' })
  expect(app.httpErrors.notFound('x')).type.toBe<HttpError<404>>()
  const error = app.httpErrors.tooManyRequests('Slow down')
  error.headers = { 'retry-after': '30' }
  app.assert(true, 400, 'x')
  app.assert.equal(1, 1, 400)
  app.get('/', async (request, reply) => {
    reply.vary('Accept-Encoding')
    reply.cacheControl('max-age', 60)
    expect(request.forwarded()).type.toBe<string[]>()
    expect(reply.getHttpError(404, 'x')).type.toBe<FastifyReply>()
    expect(reply.notFound('x', { id: 1 })).type.toBe<FastifyReply>()
    return reply.problem({ status: 409 })
  })
})
