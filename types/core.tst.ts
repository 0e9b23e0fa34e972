import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import problemDetails, { NotFound, ProblemError, Conflict, BadRequest, type ProblemDocument } from '../lib/index.js'

test('register and decorators', async () => {
  const app = Fastify()
  await app.register(problemDetails, { typeBase: 'https://api.example.com/problems/', validationStatus: 422 })
  expect(app.register(problemDetails, { validationStatus: 418 })).type.toRaiseError()
  app.get('/', async (_request, reply) => {
    expect(reply.notFound('x')).type.toBe<typeof reply>()
    expect(reply.notFound('x', { id: 1 })).type.toBe<typeof reply>()
    expect(reply.notFound(42)).type.toRaiseError()
    expect(reply.conflict('x', 'not-an-object')).type.toRaiseError()
    return reply.problem({ status: 409, detail: 'taken', field: 'email' })
  })
})

test('problem classes', () => {
  expect(new NotFound('x')).type.toBe<ProblemError>()
  expect(new NotFound(1)).type.toRaiseError()
  expect(new ProblemError({ status: 400, detail: 'x', extra: 1 }).toJSON()).type.toBe<ProblemDocument>()
  expect(new ProblemError({ status: 400, detail: 3 })).type.toRaiseError()
  expect(new ProblemError({ detail: 'x' })).type.toRaiseError()
  expect(NotFound.forResource('User', { id: 1 })).type.toBe<ProblemError>()
  expect(Conflict.duplicate('email')).type.toBe<ProblemError>()
  expect(BadRequest.withField('email', 'Invalid')).type.toBe<ProblemError>()
})

test('registry', () => {
  const app = Fastify()
  class PaymentError extends Error { publicMessage = 'declined' }
  app.problemDetails.map(PaymentError, (err) => {
    expect(err).type.toBe<PaymentError>()
    return { status: 502, detail: err.publicMessage }
  })
  app.problemDetails.map('23505', () => ({ status: 409 }))
  expect(app.problemDetails.map(PaymentError, () => 'nope')).type.toRaiseError()
})
