// docs/migration.md#from-fastifysensible, step by step: the app of
// test/sensible-app.ts with @fastify/sensible alone (before), beside this
// plugin in either order (step 1), and with this plugin alone (step 2).
import t from 'tap'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import sensible from '@fastify/sensible'
import problemDetails from '../lib/index.js'
import { COMPARED_HEADERS, ERROR_REQUESTS, UTILITY_REQUESTS, errorRoutes, utilityRoutes, type RecipeRequest } from './sensible-app.js'

type Way = 'sensible alone' | 'sensible, then the plugin' | 'the plugin, then sensible' | 'the plugin alone'

async function appOf (way: Way): Promise<FastifyInstance> {
  const app = Fastify()
  if (way === 'sensible alone') {
    // Before: as sensible's README registers it.
    await app.register(sensible, { sharedSchemaId: 'HttpError' })
  } else if (way === 'sensible, then the plugin') {
    // Step 1: one register line; sharedSchemaId moves to the plugin's options.
    await app.register(sensible)
    await app.register(problemDetails, { sharedSchemaId: 'HttpError' })
  } else if (way === 'the plugin, then sensible') {
    await app.register(problemDetails, { sharedSchemaId: 'HttpError' })
    await app.register(sensible)
  } else {
    // Step 2: an app that uses none of sensible's utilities drops it.
    await app.register(problemDetails, { sharedSchemaId: 'HttpError' })
  }
  await app.register(errorRoutes)
  if (way !== 'the plugin alone') await app.register(utilityRoutes)
  return app
}

async function run (app: FastifyInstance, requests: RecipeRequest[]): Promise<LightMyRequestResponse[]> {
  const out: LightMyRequestResponse[] = []
  for (const { method, url, payload, headers } of requests) out.push(await app.inject({ method, url, payload: payload as string | undefined, headers }))
  return out
}

const WAYS: Way[] = ['sensible, then the plugin', 'the plugin, then sensible', 'the plugin alone']

t.test('the same statuses, utility headers and messages; problem bodies; no 5xx message', async (t) => {
  const before = await appOf('sensible alone')
  t.teardown(() => before.close())
  const all = [...ERROR_REQUESTS, ...UTILITY_REQUESTS]
  const expected = await run(before, all)
  let alone: LightMyRequestResponse[] | undefined
  let beside: LightMyRequestResponse[] | undefined

  for (const way of WAYS) {
    const app = await appOf(way)
    t.teardown(() => app.close())
    const requests = way === 'the plugin alone' ? ERROR_REQUESTS : all
    const actual = await run(app, requests)
    if (way === 'the plugin alone') alone = actual
    else beside ??= actual
    requests.forEach((req, i) => {
      const name = `${way}: ${req.method} ${req.url}`
      const was = expected[i]
      const res = actual[i]
      t.equal(res.statusCode, was.statusCode, `${name}: status`)
      for (const header of COMPARED_HEADERS) {
        // A 5xx problem is never cached (RFC 9111 §5.2.2.5): Cache-Control no-store.
        if (header === 'cache-control' && res.statusCode >= 500) t.equal(res.headers[header], 'no-store', `${name}: no-store`)
        else t.equal(res.headers[header], was.headers[header], `${name}: ${header}`)
      }
      if (was.statusCode < 400) {
        // Utilities and successes untouched: same body, same Vary.
        t.equal(res.body, was.body, `${name}: body`)
        t.equal(res.headers.vary, was.headers.vary, `${name}: vary`)
        return
      }
      const problem = res.json()
      const old = was.json()
      t.equal(res.headers['content-type'], 'application/problem+json', `${name}: a problem`)
      t.equal(problem.status, res.statusCode, `${name}: status member`)
      if (res.statusCode < 500) {
        // The 4xx message sensible sent is the detail (none when it only repeated the phrase).
        t.equal(problem.detail ?? problem.title, old.message === old.error ? problem.title : old.message, `${name}: message as detail`)
      } else {
        t.notOk('detail' in problem, `${name}: no 5xx message`)
        t.notMatch(res.body, /hunter2|secret/, `${name}: nothing of the error`)
      }
      for (const member of ['statusCode', 'error', 'message']) t.notOk(member in problem, `${name}: no ${member}`)
    })
  }

  // Beside sensible and alone, the error routes answer the very same problems.
  ERROR_REQUESTS.forEach((req, i) => {
    t.equal(alone?.[i].body, beside?.[i].body, `${req.method} ${req.url}: the same problem with or without sensible`)
  })
  // Before, sensible's 5xx bodies carried the message: the difference the doc names.
  t.match(expected[ERROR_REQUESTS.findIndex((r) => r.url === '/db')].body, /hunter2/)
})
