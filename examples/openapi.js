// The OpenAPI document and Swagger UI of the demo (docs/openapi.md).
// Call it after registering fastify-problem-details and before declaring
// routes: @fastify/swagger learns about routes as they are added.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { refResolver } from 'fastify-problem-details'

/**
 * Registers @fastify/swagger (OpenAPI 3, shared schemas named by their $id)
 * and @fastify/swagger-ui under /docs.
 * @param {import('fastify').FastifyInstance} app
 */
export async function registerOpenApi (app) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'fastify-problem-details demo',
        description: 'Every error is an RFC 9457 problem details response (application/problem+json).',
        version: '1.0.0'
      }
    },
    // ProblemDetails, ValidationProblemDetails, OutOfCreditProblem… instead of def-0, def-1.
    refResolver
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}
