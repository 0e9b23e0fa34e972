import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import { Type, type Static } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import {
  defineProblem,
  problemResponses,
  schemaRef,
  ProblemDetails,
  ProblemDetailsRef,
  ValidationProblem,
  type DefinedProblem,
  type ProblemError
} from '../lib/index.js'

const OutOfCredit = defineProblem({
  type: 'types-out-of-credit',
  status: 403,
  title: 'You do not have enough credit',
  extensions: Type.Object({ balance: Type.Number(), accounts: Type.Array(Type.String()), note: Type.Optional(Type.String()) })
})
const Plain = defineProblem({ type: 'types-plain', status: 409, title: 'Plain' })

test('the constructor is typed by the extension schema', () => {
  expect(new OutOfCredit({ detail: 'Your balance is 20, the cost is 30', balance: 20, accounts: ['/a/12345'] })).type.toBe<DefinedProblem<typeof OutOfCredit.extensions>>()
  expect(new OutOfCredit({ balance: 20, accounts: [], note: 'x' }, { instance: '/i', retryAfter: 5, headers: { 'x-a': '1' }, cause: new Error('x') })).type.not.toRaiseError()
  // options go in the second argument, never among the members
  expect(new OutOfCredit({ balance: 20, accounts: [], instance: '/i' })).type.toRaiseError()
  expect(new OutOfCredit({ balance: 20, accounts: [], retryAfter: 5 })).type.toRaiseError()
  expect(new OutOfCredit({ balance: 20, accounts: [], headers: { 'x-a': '1' } })).type.toRaiseError()
  expect(new OutOfCredit({ balance: 20, accounts: [], cause: new Error('x') })).type.toRaiseError()
  // type, title and status belong to the definition, in the options too
  expect(new OutOfCredit({ balance: 20, accounts: [] }, { title: 'Other' })).type.toRaiseError()
  expect(new OutOfCredit({ balance: 20, accounts: [] }, { type: 'other' })).type.toRaiseError()
  expect(new OutOfCredit({ balance: 20, accounts: [] }, { status: 400 })).type.toRaiseError()
  // a missing member, a wrongly typed member, an unknown member, no init at all
  expect(new OutOfCredit({ balance: 20 })).type.toRaiseError()
  expect(new OutOfCredit({ balance: '20', accounts: [] })).type.toRaiseError()
  expect(new OutOfCredit({ balance: 20, accounts: [1] })).type.toRaiseError()
  expect(new OutOfCredit({ balance: 20, accounts: [], extra: true })).type.toRaiseError()
  expect(new OutOfCredit()).type.toRaiseError()
  // type, title and status belong to the definition
  expect(new OutOfCredit({ balance: 20, accounts: [], title: 'Other' })).type.toRaiseError()
  expect(new OutOfCredit({ balance: 20, accounts: [], detail: 3 })).type.toRaiseError()
})

test('without extensions the init is optional', () => {
  expect(new Plain()).type.not.toRaiseError()
  expect(new Plain({ detail: 'x' })).type.not.toRaiseError()
  expect(new Plain(undefined, { instance: '/i' })).type.not.toRaiseError()
  expect(new Plain({ balance: 1 })).type.toRaiseError()
})

test('instances and statics', () => {
  const problem = new OutOfCredit({ balance: 20, accounts: [] })
  expect(problem).type.toBeAssignableTo<ProblemError>()
  expect(problem.extensions.balance).type.toBe<number>()
  expect(problem.extensions.accounts).type.toBe<string[]>()
  expect(OutOfCredit.schemaId).type.toBe<string>()
  expect<Static<typeof OutOfCredit.ref>['balance']>().type.toBe<number>()
  expect<Static<typeof OutOfCredit.ref>['status']>().type.toBe<number>()
  expect<Static<typeof ProblemDetailsRef>['title']>().type.toBe<string>()
  expect<Static<ReturnType<typeof schemaRef<typeof ProblemDetails>>>['detail']>().type.toBe<string | undefined>()
})

test('definitions are checked', () => {
  expect(defineProblem({ type: 'x', status: 400 })).type.toRaiseError()
  expect(defineProblem({ type: 'x', status: '400', title: 't' })).type.toRaiseError()
  expect(defineProblem({ type: 'x', status: 400, title: 't', extensions: { balance: 1 } })).type.toRaiseError()
})

test('problemResponses in a route with the TypeBox type provider', () => {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
  app.get('/users/:id', {
    schema: {
      params: Type.Object({ id: Type.String() }),
      response: { 200: Type.Object({ id: Type.String() }), ...problemResponses(404, OutOfCredit, ValidationProblem) }
    }
  }, async (request, reply) => {
    expect(request.params.id).type.toBe<string>()
    // The entries are keyed by their literal statuses: the route's codes are 200, 404, 403 and 400.
    expect(reply.code(404)).type.not.toRaiseError()
    expect(reply.code(403)).type.not.toRaiseError()
    expect(reply.code(400)).type.not.toRaiseError()
    expect(reply.code(409)).type.toRaiseError()
    return { id: request.params.id }
  })
  expect(OutOfCredit.status).type.toBe<403>()
  expect(problemResponses('404')).type.toRaiseError()
})
