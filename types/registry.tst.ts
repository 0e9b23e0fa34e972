import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import { Type } from '@sinclair/typebox'
import { NotFound, defineProblem, type ProblemRegistry } from '../lib/index.js'

test('document() takes defined classes and chains; the internals are not part of the type', () => {
  const app = Fastify()
  const OutOfCredit = defineProblem({ type: 'out-of-credit', status: 403, title: 'No credit', extensions: Type.Object({ balance: Type.Number() }) })
  const Plain = defineProblem({ type: 'plain', status: 409, title: 'Plain' })
  expect(app.problemDetails.document(OutOfCredit, Plain)).type.toBe<ProblemRegistry>()
  expect(app.problemDetails.document()).type.toBe<ProblemRegistry>()
  expect(app.problemDetails.document(NotFound)).type.toRaiseError()
  expect(app.problemDetails.document('out-of-credit')).type.toRaiseError()
  expect(app.problemDetails).type.not.toHaveProperty('parent')
  expect(app.problemDetails).type.not.toHaveProperty('settings')
  expect(app.problemDetails).type.not.toHaveProperty('add')
})
