// Beside @fastify/sensible (docs/migration.md#beside-fastifysensible): in
// either order, at the root or in a child context, on the oldest Fastify 5
// (5.0.0, the `fastify-5-0` alias) and the one installed. Sensible's
// utilities answer as with sensible alone; every error is a problem with the
// status, headers and 4xx message sensible alone sends.
import t from 'tap'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import Fastify50 from 'fastify-5-0'
import sensible from '@fastify/sensible'
import problemDetails, { HttpProblem } from '../lib/index.js'
import { COMPARED_HEADERS, ERROR_REQUESTS, UTILITY_REQUESTS, errorRoutes, utilityRoutes } from './sensible-app.js'

const FASTIFIES: Array<[string, () => FastifyInstance]> = [
  [`Fastify ${Fastify().version}`, () => Fastify()],
  [`Fastify ${(Fastify50 as unknown as () => FastifyInstance)().version}`, () => (Fastify50 as unknown as () => FastifyInstance)()]
]

/** Whose `httpErrors` answers, seen from a route: request data given as props never sets a header with ours. */
async function probeRoutes (app: FastifyInstance): Promise<void> {
  app.get('/probe', async function () {
    const error = this.httpErrors.createError(409, 'Taken', { headers: { 'set-cookie': 'sid=attacker' }, field: 'email' })
    throw error
  })
  app.get('/whose', async function () {
    return { ours: this.httpErrors.notFound() instanceof HttpProblem }
  })
}

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(errorRoutes)
  await app.register(utilityRoutes)
  await app.register(probeRoutes)
}

/** How the two are registered, and whose error API answers then. */
const ARRANGEMENTS: Array<{ name: string, ours: boolean, build: (app: FastifyInstance) => Promise<void> }> = [
  {
    name: 'sensible, then the plugin (root)',
    // Fastify keeps sensible's decorators: its HttpErrors are mapped.
    ours: false,
    build: async (app) => {
      await app.register(sensible)
      await app.register(problemDetails, { sharedSchemaId: 'HttpError' })
      await routes(app)
    }
  },
  {
    name: 'the plugin, then sensible (root)',
    ours: true,
    build: async (app) => {
      app.register(problemDetails, { sharedSchemaId: 'HttpError' })
      app.register(sensible)
      await routes(app)
    }
  },
  {
    name: 'the plugin at the root, sensible in the routes\' child context',
    ours: true,
    build: async (app) => {
      await app.register(problemDetails, { sharedSchemaId: 'HttpError' })
      await app.register(async (child) => {
        await child.register(sensible)
        await routes(child)
      })
    }
  },
  {
    name: 'sensible at the root, the plugin in the routes\' child context',
    ours: true,
    build: async (app) => {
      await app.register(sensible)
      await app.register(async (child) => {
        await child.register(problemDetails, { sharedSchemaId: 'HttpError' })
        await routes(child)
      })
    }
  }
]

for (const [version, make] of FASTIFIES) {
  t.test(version, async (t) => {
    const reference = make()
    await reference.register(sensible, { sharedSchemaId: 'HttpError' })
    await routes(reference)
    t.teardown(() => reference.close())
    const requests = [...ERROR_REQUESTS, ...UTILITY_REQUESTS]
    const expected: LightMyRequestResponse[] = []
    for (const { method, url, payload, headers } of requests) expected.push(await reference.inject({ method, url, payload: payload as string | undefined, headers }))

    for (const arrangement of ARRANGEMENTS) {
      t.test(arrangement.name, async (t) => {
        const app = make()
        t.teardown(() => app.close())
        await arrangement.build(app)
        await t.resolves(async () => { await app.ready() }, 'starts: no FST_ERR_DEC_ALREADY_PRESENT')

        for (let i = 0; i < requests.length; i++) {
          const { method, url, payload, headers } = requests[i]
          const name = `${method} ${url}`
          const was = expected[i]
          const res = await app.inject({ method, url, payload: payload as string | undefined, headers })
          // sensible's reply.getHttpError(451) works; a route it cannot serve stays comparable.
          t.equal(res.statusCode, was.statusCode, `${name}: status`)
          for (const header of COMPARED_HEADERS) {
            if (header === 'cache-control' && res.statusCode >= 500) continue
            t.equal(res.headers[header], was.headers[header], `${name}: ${header}`)
          }
          if (was.statusCode < 400) {
            t.equal(res.body, was.body, `${name}: the utility answers as with sensible alone`)
            t.equal(res.headers.vary, was.headers.vary, `${name}: vary`)
            continue
          }
          t.equal(res.headers['content-type'], 'application/problem+json', `${name}: a problem`)
          const problem = res.json()
          t.equal(problem.status, was.statusCode)
          if (was.statusCode < 500) {
            const message = was.json().message
            t.equal(problem.detail, message === was.json().error ? undefined : message, `${name}: sensible's message is the detail`)
          } else {
            t.notOk('detail' in problem, `${name}: no 5xx message`)
          }
        }

        const probe = await app.inject('/probe')
        t.equal(probe.statusCode, 409)
        const whose = (await app.inject('/whose')).json()
        t.equal(whose.ours, arrangement.ours, arrangement.ours ? 'the plugin\'s httpErrors answers' : 'sensible\'s httpErrors answers, mapped')
        if (arrangement.ours) {
          t.notOk(probe.headers['set-cookie'], 'props are members, never headers')
          t.equal(probe.json().field, 'email')
        } else {
          // http-errors copies props onto the error, headers included (sensible's own
          // behaviour), but an upstream error's Set-Cookie never passes (docs/security.md#response-headers).
          t.equal(probe.headers['set-cookie'], undefined)
        }
      })
    }
  })
}
