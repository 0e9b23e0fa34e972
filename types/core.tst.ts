import Fastify, { type FastifyReply } from 'fastify'
import { expect, test } from 'tstyche'
import problemDetails, {
  NotFound, ProblemError, Conflict, BadRequest, Forbidden, TooManyRequests, ValidationProblem, ProblemRegistry,
  ServiceUnavailable, defineProblem,
  type ProblemDocument, type ProblemHelper, type ProblemInit, type ProblemTypeEntry, type ValidationErrorEntry
} from '../lib/index.js'

test('register and decorators', async () => {
  const app = Fastify()
  await app.register(problemDetails, { typeBase: 'https://api.example.com/problems/', validationStatus: 422 })
  expect(app.register(problemDetails, { validationStatus: 418 })).type.toRaiseError()
  app.get('/', async (_request, reply) => {
    expect(reply.notFound('x')).type.toBe<typeof reply>()
    expect(reply.notFound('x', { id: 1 })).type.toBe<typeof reply>()
    expect(reply.notFound(42)).type.toRaiseError()
    expect(reply.conflict('x', 'not-an-object')).type.toRaiseError()
    return reply.problem({ status: 409, detail: 'taken', extensions: { field: 'email' } })
  })
})

test('problem classes', () => {
  expect(new NotFound('x')).type.toBe<ProblemError>()
  expect(new NotFound(1)).type.toRaiseError()
  expect(new ProblemError({ status: 400, detail: 'x', extensions: { extra: 1 } }).toJSON()).type.toBe<ProblemDocument>()
  expect(new ProblemError({ status: 402, extensions: { balance: 30 } }).extensions.balance).type.toBe<number>()
  expect(new ProblemError({ status: 400, detail: 3 })).type.toRaiseError()
  expect(new ProblemError({ detail: 'x' })).type.toRaiseError()
  expect(new NotFound('x', { id: 1 }, { type: 'https://e.x/p/missing', title: 'Missing', instance: '/u/1', headers: { 'x-a': '1' }, cause: new Error('x') })).type.toBe<ProblemError>()
  expect(new NotFound(undefined, undefined, { instance: '/u/1' })).type.toBe<ProblemError>()
  expect(new NotFound('x', {}, { detail: 'y' })).type.toRaiseError()
  expect(new NotFound('x', {}, { status: 200 })).type.toRaiseError()
  expect(new NotFound('x', {}, { balance: 1 })).type.toRaiseError()
  expect(new NotFound('x', {}, {}, 'fourth')).type.toRaiseError()
  expect(NotFound.forResource('User', { id: 1 })).type.toBe<ProblemError>()
  expect(Conflict.duplicate('email')).type.toBe<ProblemError>()
  expect(BadRequest.withField('email', 'Invalid')).type.toBe<ProblemError>()
})

test('registry', () => {
  const app = Fastify()
  class PaymentError extends Error { publicMessage = 'declined' }
  app.problemDetails.map(PaymentError, (err) => {
    expect(err).type.toBe<PaymentError>()
    return { status: 502, detail: err.publicMessage, extensions: { upstream: 'payments' } }
  })
  app.problemDetails.map('23505', () => ({ status: 409 }))
  expect(app.problemDetails.map(PaymentError, () => 'nope')).type.toRaiseError()
  expect(app.problemDetails.map(PaymentError, () => ({ status: 502, extensions: { retryAfter: 5 } }))).type.toRaiseError()
})

/** @fastify/sensible's 41 helper names: every one is declared on FastifyReply. */
type HelperName =
  'badRequest' | 'unauthorized' | 'paymentRequired' | 'forbidden' | 'notFound' | 'methodNotAllowed' |
  'notAcceptable' | 'proxyAuthenticationRequired' | 'requestTimeout' | 'conflict' | 'gone' | 'lengthRequired' |
  'preconditionFailed' | 'payloadTooLarge' | 'uriTooLong' | 'unsupportedMediaType' | 'rangeNotSatisfiable' |
  'expectationFailed' | 'imateapot' | 'misdirectedRequest' | 'unprocessableEntity' | 'locked' | 'failedDependency' |
  'tooEarly' | 'upgradeRequired' | 'preconditionRequired' | 'tooManyRequests' | 'requestHeaderFieldsTooLarge' |
  'unavailableForLegalReasons' | 'internalServerError' | 'notImplemented' | 'badGateway' | 'serviceUnavailable' |
  'gatewayTimeout' | 'httpVersionNotSupported' | 'variantAlsoNegotiates' | 'insufficientStorage' | 'loopDetected' |
  'bandwidthLimitExceeded' | 'notExtended' | 'networkAuthenticationRequired'

test('declaration merging: every helper is typed on the reply', () => {
  expect<Pick<FastifyReply, HelperName>>().type.toBe<Record<HelperName, ProblemHelper>>()
  expect<FastifyReply['problem']>().type.toBe<(problem: ProblemInit | ProblemError) => FastifyReply>()
  expect<FastifyReply>().type.not.toHaveProperty('notAHelper')
})

test('helpers take (detail?, extensions?, options?) and nothing else', () => {
  const reply = {} as FastifyReply
  const body: Record<string, unknown> = {}
  expect(reply.badRequest()).type.toBe<FastifyReply>()
  expect(reply.conflict('Email taken', body)).type.toBe<FastifyReply>()
  expect(reply.tooManyRequests('slow down', { limit: 100 }, { retryAfter: 30 })).type.toBe<FastifyReply>()
  expect(reply.serviceUnavailable(undefined, undefined, { retryAfter: new Date() })).type.toBe<FastifyReply>()
  expect(reply.unauthorized('x', undefined, { headers: { 'WWW-Authenticate': 'Bearer' } })).type.toBe<FastifyReply>()
  expect(reply.notFound('x', { id: 1 }, { type: 'https://e.x/p/missing', title: 'Missing', instance: '/u/1', cause: new Error('x') })).type.toBe<FastifyReply>()
  expect(reply.notFound({ detail: 'x' })).type.toRaiseError()
  expect(reply.tooManyRequests('x', undefined, { retryAfter: 'soon' })).type.toRaiseError()
  expect(reply.unauthorized('x', undefined, { headers: { 'WWW-Authenticate': true } })).type.toRaiseError()
  expect(reply.notFound('x', {}, { type: 42 })).type.toRaiseError()
  expect(reply.notFound('x', {}, 'third')).type.toRaiseError()
  expect(reply.notFound('x', {}, {}, 'fourth')).type.toRaiseError()
  expect(reply.problem(new NotFound('x'))).type.toBe<FastifyReply>()
  expect(reply.problem({ status: 409, type: 'https://e.x/p/taken', title: 'Taken', detail: 'x', instance: '/u', headers: { 'x-a': '1' }, retryAfter: 5, cause: 1, extensions: { field: 'email' } })).type.toBe<FastifyReply>()
  expect(reply.problem({ detail: 'no status' })).type.toRaiseError()
  expect(reply.problem({ status: '404' })).type.toRaiseError()
  expect(reply.problem({ status: 404, title: 404 })).type.toRaiseError()
})

test('0.1 forms that mixed members and options in one bag do not compile', () => {
  const reply = {} as FastifyReply
  // options among the members of a helper or a status class
  expect(reply.tooManyRequests('slow down', { retryAfter: 30, limit: 100 })).type.toRaiseError()
  expect(reply.serviceUnavailable(undefined, { retryAfter: new Date() })).type.toRaiseError()
  expect(reply.unauthorized('x', { headers: { 'WWW-Authenticate': 'Bearer' } })).type.toRaiseError()
  expect(reply.notFound('x', { type: 'https://e.x/p/missing' })).type.toRaiseError()
  expect(reply.notFound('x', { title: 'Missing' })).type.toRaiseError()
  expect(reply.notFound('x', { instance: '/u/1' })).type.toRaiseError()
  expect(reply.notFound('x', { cause: new Error('x') })).type.toRaiseError()
  expect(reply.notFound('x', { status: 200 })).type.toRaiseError()
  expect(reply.notFound('x', { detail: 'other' })).type.toRaiseError()
  expect(new TooManyRequests('x', { retryAfter: 5 })).type.toRaiseError()
  expect(new ServiceUnavailable('x', { retryAfter: new Date() })).type.toRaiseError()
  expect(new NotFound('x', { headers: { 'x-a': '1' } })).type.toRaiseError()
  expect(new Conflict('x', { type: 'https://e.x/p/taken', title: 'Taken', instance: '/u' })).type.toRaiseError()
  // members at the top level of a problem init
  expect(new ProblemError({ status: 400, detail: 'x', extra: 1 })).type.toRaiseError()
  expect(reply.problem({ status: 409, detail: 'taken', field: 'email' })).type.toRaiseError()
  // options among the members of an init
  expect(new ProblemError({ status: 429, extensions: { retryAfter: 5 } })).type.toRaiseError()
  expect(reply.problem({ status: 409, extensions: { headers: { 'set-cookie': 'a' } } })).type.toRaiseError()
  // a defined type: options in the init, undeclared members
  const Defined = defineProblem({ type: 'types-core-defined', status: 409, title: 'Defined' })
  expect(new Defined({ retryAfter: 5 })).type.toRaiseError()
  expect(new Defined({ detail: 'x', extra: 1 })).type.toRaiseError()
})

test('fastify.problemDetails', () => {
  const app = Fastify()
  expect(app.problemDetails).type.toBe<ProblemRegistry>()
  expect(app.problemDetails.types).type.toBe<readonly ProblemTypeEntry[]>()
  expect(app.problemDetails.map('E_X', () => undefined)).type.toBe<ProblemRegistry>()
  expect(app.problemDetails.map((e: unknown) => e === 1, () => new NotFound())).type.toBe<ProblemRegistry>()
  class UpstreamError extends Error { upstream = 'payments' }
  app.problemDetails.map((e: unknown): e is UpstreamError => e instanceof UpstreamError, (err) => {
    expect(err).type.toBe<UpstreamError>()
    return { status: 502, extensions: { service: err.upstream } }
  })
  expect(app.problemDetails.map(42, () => undefined)).type.toRaiseError()
  expect(app.problemDetails.map(UpstreamError)).type.toRaiseError()
  expect(app.problemDetails.map(UpstreamError, () => ({ detail: 'no status' }))).type.toRaiseError()
})

test('factories and retryAfter', () => {
  expect(Forbidden.forAction('Post', 'delete')).type.toBe<ProblemError>()
  expect(Forbidden.forAction('Post')).type.toRaiseError()
  expect(NotFound.forResource(1)).type.toRaiseError()
  expect(BadRequest.withField('email')).type.toRaiseError()
  expect(new TooManyRequests('x', undefined, { retryAfter: 5 })).type.toBe<ProblemError>()
  expect(new ServiceUnavailable('x', { dependency: 'db' }, { retryAfter: new Date() })).type.toBe<ProblemError>()
  expect(new TooManyRequests('x', undefined, { retryAfter: '5' })).type.toRaiseError()
  expect(new ValidationProblem([{ detail: 'x', pointer: '#/body/a' }]).extensions.errors).type.toBe<ValidationErrorEntry[]>()
  expect(new ValidationProblem([{ pointer: '#/body/a' }])).type.toRaiseError()
})

test('options are typed', async () => {
  const app = Fastify()
  await app.register(problemDetails, { requestIdMember: false, instance: (request) => request.url, logLevels: { 404: 'warn', '5xx': 'fatal' } })
  expect(app.register(problemDetails, { requestIdMember: true })).type.toRaiseError()
  expect(app.register(problemDetails, { instance: 'url' })).type.toRaiseError()
  expect(app.register(problemDetails, { exposeDetails: 'yes' })).type.toRaiseError()
  expect(app.register(problemDetails, { logLevels: { 404: 'loud' } })).type.toRaiseError()
})
