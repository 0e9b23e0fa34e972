// The example API: `npm run demo`, then curl the routes printed at startup.
// PORT (default 3000) and HOST (default 127.0.0.1) choose where it listens.
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import problemDetails, { NotFound, ValidationProblem, defineProblem, problemResponses, frameworkErrors } from 'fastify-problem-details'
import { registerOpenApi } from './openapi.js'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'

// allErrors: every schema violation becomes its own errors[] entry.
const app = Fastify({ logger: true, frameworkErrors, ajv: { customOptions: { allErrors: true } } })
// Problems answered, by status and type, for /metrics (onProblem below).
const problemCounts = new Map()

// typeDocs serves the catalogue of problem types under the typeBase path;
// defaultResponses documents 400 and 500 problems on every route.
await app.register(problemDetails, {
  typeBase: `http://${host}:${port}/problems/`,
  typeDocs: true,
  openapi: { defaultResponses: true },
  // A member on every problem: when it happened.
  extend: () => ({ timestamp: new Date().toISOString() }),
  // Once per problem, after the response is decided: count it. A report to
  // Sentry would go here too; whatever this throws never reaches the client.
  onProblem: (problem) => {
    const key = `status="${problem.status}",type="${problem.type}"`
    problemCounts.set(key, (problemCounts.get(key) ?? 0) + 1)
  }
  // traceIdMember (default 'traceId'): the trace id of the active OpenTelemetry
  // span, else of a valid traceparent header the client sent.
})
// The OpenAPI document at /docs/json, Swagger UI at /docs.
await registerOpenApi(app)

// A problem type of our own: its page is /problems/out-of-credit.
const OutOfCredit = defineProblem({
  type: 'out-of-credit',
  status: 403,
  title: 'You do not have enough credit',
  description: 'The balance does not cover the cost of the purchase. Top up the account, then retry.',
  extensions: Type.Object({
    balance: Type.Number({ description: 'The current balance, in credits' }),
    accounts: Type.Array(Type.String({ format: 'uri-reference' }), { description: 'Accounts that can be topped up' })
  })
})

const User = Type.Object({ id: Type.String(), name: Type.String(), balance: Type.Number() })

const users = new Map([['1', { id: '1', name: 'Ada', balance: 20 }]])

// Each route declares the problems it answers (problemResponses), so that
// /docs tells the truth; outside production the contract check warns about an
// answer a route does not declare.

// A reply helper: no Error is constructed.
app.get('/users/:id', { schema: { response: { 200: User, ...problemResponses(404) } } }, async (request, reply) => {
  const user = users.get(request.params.id)
  if (user === undefined) return reply.notFound(`User ${request.params.id} does not exist`)
  return user
})

// A thrown problem class, with extension members.
app.get('/users/:id/orders', { schema: { response: problemResponses(404) } }, async (request) => {
  throw NotFound.forResource('Order', { userId: request.params.id })
})

// A defined problem type, resolved against typeBase.
app.post('/users/:id/purchases', { schema: { response: problemResponses(404, OutOfCredit) } }, async (request) => {
  const user = users.get(request.params.id)
  if (user === undefined) throw NotFound.forResource('User', { id: request.params.id })
  throw new OutOfCredit({
    detail: `Your balance is ${user.balance}, the cost is 30`,
    balance: user.balance,
    accounts: [`/accounts/${user.id}`]
  })
})

// Request data as extension members: only ever emitted as members, so a body
// with "headers", "type" or "title" in it cannot steer the response.
app.put('/users/:id/email', { schema: { response: problemResponses(409) } }, async (request, reply) => reply.conflict('This email is taken', request.body))

// The options that steer the response (here Retry-After) come third.
app.get('/search', { schema: { response: problemResponses(429) } }, async (_request, reply) => reply.tooManyRequests('Slow down', { limit: 100 }, { retryAfter: 30 }))

// A validation failure: one errors[] entry per schema error, with JSON Pointers.
app.post('/users', {
  schema: {
    body: {
      type: 'object',
      required: ['name', 'email'],
      properties: { name: { type: 'string', minLength: 1 }, email: { type: 'string', format: 'email' } },
      additionalProperties: false
    },
    response: { 201: { description: 'The user', ...User }, ...problemResponses(ValidationProblem) }
  }
}, async (request, reply) => reply.code(201).send({ id: '2', name: request.body.name, balance: 0 }))

// An unexpected error: the client sees a generic 500, the log sees everything.
app.get('/reports', async () => {
  throw new Error('connect ECONNREFUSED 10.0.0.5:5432 (user=admin password=hunter2)')
})

// Your own errors, mapped once.
class PaymentGatewayError extends Error {
  constructor (publicMessage) {
    super('gateway said: card 4111-1111-1111-1111 declined')
    this.publicMessage = publicMessage
  }
}
app.problemDetails.map(PaymentGatewayError, (err) => ({ status: 502, title: 'Payment gateway failed', detail: err.publicMessage }))
app.post('/payments', { schema: { response: problemResponses(502) } }, async () => {
  throw new PaymentGatewayError('The card was declined')
})

// The counts in the Prometheus text format.
app.get('/metrics', async (_request, reply) => {
  let out = '# TYPE problems_total counter\n'
  for (const [labels, count] of problemCounts) out += `problems_total{${labels}} ${count}\n`
  return reply.type('text/plain; version=0.0.4').send(out)
})

await app.listen({ port, host })

const base = `http://${host}:${port}`
console.log(`
Try:
  curl -i ${base}/users/42
  curl -i ${base}/users/1/orders
  curl -i -X POST ${base}/users/1/purchases
  curl -i -X POST ${base}/users -H 'content-type: application/json' -d '{"name":"","mail":"x"}'
  curl -i -X POST ${base}/users -H 'content-type: application/json' -d '{"name":'
  curl -i -X PUT ${base}/users/1/email -H 'content-type: application/json' -d '{"email":"ada@example.com","headers":{"set-cookie":"sid=x"},"title":"Pwned"}'
  curl -i ${base}/search
  curl -i ${base}/reports
  curl -i -X POST ${base}/payments
  curl -i ${base}/nowhere?token=secret
  curl -i ${base}/users/42 -H 'accept: application/problem+xml'
  curl -i ${base}/users/42 -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  curl -i ${base}/metrics
  open ${base}/docs (Swagger UI) and ${base}/problems/ (the problem-type catalogue)
`)
