import t from 'tap'
import Fastify from 'fastify'
import swagger from '@fastify/swagger'
import SwaggerParser from '@apidevtools/swagger-parser'
import { z } from 'zod'
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import problemDetails, { defineProblem, problemResponses, refResolver, ProblemDetailsRef } from '../lib/index.js'
import { jsonSchemaTransform, serializerCompiler } from '../lib/zod/index.js'

const Overdrawn = defineProblem({ type: 'zod-overdrawn', status: 403, title: 'The account is overdrawn' })

t.test('fastify-type-provider-zod: starts with problem responses, answers Zod failures with pointers, documents both', async (t) => {
  const app = Fastify()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  await app.register(problemDetails, { openapi: { defaultResponses: true } })
  await app.register(swagger, {
    openapi: { openapi: '3.0.3', info: { title: 'zod', version: '1.0.0' } },
    transform: jsonSchemaTransform,
    refResolver
  })
  const User = z.object({ name: z.string(), email: z.email(), age: z.number().int().optional() })
  const typed = app.withTypeProvider<ZodTypeProvider>()
  typed.post('/users/:id', {
    schema: {
      params: z.object({ id: z.string().regex(/^\d+$/) }),
      body: User,
      response: { 201: User, 418: ProblemDetailsRef, ...problemResponses(404, Overdrawn) }
    }
  }, async (request, reply) => {
    if (request.params.id === '0') return reply.notFound('No user 0')
    if (request.params.id === '1') throw new Overdrawn()
    return reply.code(201).send(request.body)
  })
  await app.ready()
  t.teardown(() => app.close())

  const created = await app.inject({ method: 'POST', url: '/users/7', payload: { name: 'Ada', email: 'ada@example.com' } })
  t.equal(created.statusCode, 201)
  t.same(created.json(), { name: 'Ada', email: 'ada@example.com' }, 'Zod response schemas still serialize')

  const invalid = await app.inject({ method: 'POST', url: '/users/7', payload: { email: 'nope', age: 1.5 } })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.headers['content-type'], /^application\/problem\+json/)
  t.same(invalid.json().errors.map((e: { pointer: string }) => e.pointer).sort(), ['#/body/age', '#/body/email', '#/body/name'])
  const params = await app.inject({ method: 'POST', url: '/users/x', payload: { name: 'A', email: 'a@example.com' } })
  t.match(params.json(), { status: 400, errors: [{ pointer: '#/params/id' }] })

  t.equal((await app.inject({ method: 'POST', url: '/users/0', payload: { name: 'A', email: 'a@example.com' } })).statusCode, 404)
  t.equal((await app.inject({ method: 'POST', url: '/users/1', payload: { name: 'A', email: 'a@example.com' } })).json().title, 'The account is overdrawn')

  const doc = app.swagger() as any
  const responses = doc.paths['/users/{id}'].post.responses
  t.equal(responses['201'].content['application/json'].schema.properties.email.format, 'email', 'Zod schemas are converted')
  t.same(responses['404'].content['application/problem+json'].schema.allOf[0], { $ref: '#/components/schemas/ProblemDetails' })
  t.same(responses['403'].content['application/problem+json'].schema, { $ref: '#/components/schemas/ZodOverdrawnProblem' })
  t.ok(responses['418'].content['application/problem+json'], 'a bare typed ref is documented as application/problem+json')
  t.ok(responses['400'].content['application/problem+json'], 'the validation problem is documented')
  t.ok(doc.paths['/users/{id}'].post.requestBody.content['application/json'].schema.properties.name)
  await SwaggerParser.validate(structuredClone(doc))
})
