// Rate limiting and load shedding, built in (no preset needed): the real
// @fastify/rate-limit and @fastify/under-pressure, registered before and after
// this plugin, and errors that carry `retryAfter` as circuit breakers raise them.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import { Writable } from 'node:stream'
import problemDetails from '../lib/index.js'
import { bare, build, type Teardown } from './helpers.js'

type Order = 'before' | 'after'

/** An app with `other` registered before or after this plugin, and one route. */
async function appWith (t: Teardown, order: Order, other: (app: FastifyInstance) => Promise<void>, logger: false | { level: string, stream: Writable } = false,
  more?: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = bare(t, { logger })
  if (order === 'before') await other(app)
  await app.register(problemDetails)
  if (order === 'after') await other(app)
  app.get('/things', async () => ({ ok: true }))
  more?.(app)
  await app.ready()
  return app
}

function logStream (): { stream: Writable, lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()))
      callback()
    }
  })
  return { stream, lines }
}

for (const order of ['before', 'after'] as const) {
  t.test(`@fastify/rate-limit registered ${order} the plugin: 429 problem with Retry-After and the rate-limit headers`, async (t) => {
    const { stream, lines } = logStream()
    const app = await appWith(t, order, async (app) => { await app.register(rateLimit, { max: 2, timeWindow: 60_000 }) }, { level: 'info', stream })

    t.equal((await app.inject('/things')).statusCode, 200)
    t.equal((await app.inject('/things')).statusCode, 200)
    const res = await app.inject('/things')
    t.equal(res.statusCode, 429)
    t.equal(res.headers['content-type'], 'application/problem+json')
    t.same(res.json(), { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Rate limit exceeded, retry in 1 minute', instance: '/things', requestId: res.json().requestId })
    t.equal(res.headers['retry-after'], '60', 'Retry-After from the window')
    t.equal(res.headers['x-ratelimit-limit'], '2')
    t.equal(res.headers['x-ratelimit-remaining'], '0')
    t.equal(res.headers['cache-control'], undefined, 'a 4xx is not marked no-store')
    const problemLines = lines.filter((line) => line.status === 429)
    t.equal(problemLines.length, 1, 'one log line')
    t.equal(problemLines[0].level, 40, 'at warn')
  })

  t.test(`@fastify/rate-limit ${order} the plugin, per-route limit and a ban: 429 then 403 problems`, async (t) => {
    const app = await appWith(t, order, async (app) => { await app.register(rateLimit, { global: false }) }, false, (app) => {
      app.get('/strict', { config: { rateLimit: { max: 1, timeWindow: 60_000, ban: 1 } } }, async () => ({ ok: true }))
    })
    t.equal((await app.inject('/strict')).statusCode, 200)
    const limited = await app.inject('/strict')
    t.equal(limited.statusCode, 429)
    t.equal(limited.headers['retry-after'], '60')
    const banned = await app.inject('/strict')
    t.equal(banned.statusCode, 403)
    t.equal(banned.json().status, 403, 'the body says the status that is sent')
    t.equal(banned.json().title, 'Forbidden')
    t.equal((await app.inject('/things')).statusCode, 200, 'routes without a limit are untouched')
  })
}

t.test('@fastify/rate-limit with an errorResponseBuilder that returns a plain object: still a 429 problem', async (t) => {
  const app = await appWith(t, 'before', async (app) => {
    await app.register(rateLimit, {
      max: 1,
      timeWindow: 30_000,
      errorResponseBuilder: (_request, context) => ({ statusCode: context.statusCode, message: `Slow down, retry in ${context.after}`, retryAfter: Math.ceil(context.ttl / 1000) })
    })
  })
  await app.inject('/things')
  const res = await app.inject('/things')
  t.equal(res.statusCode, 429)
  t.equal(res.json().detail, 'Slow down, retry in 30 seconds')
  t.equal(res.headers['retry-after'], '30')
})

for (const order of ['before', 'after'] as const) {
  t.test(`@fastify/under-pressure registered ${order} the plugin: 503 problem keeping its Retry-After`, async (t) => {
    const { stream, lines } = logStream()
    const app = await appWith(t, order, async (app) => {
      // An external health check that fails: every request is shed.
      await app.register(underPressure, { healthCheck: async () => false, healthCheckInterval: 60_000, retryAfter: 7, exposeStatusRoute: '/status' })
    }, { level: 'info', stream })
    // A route a plugin declares before this plugin is registered keeps Fastify's
    // default error handler (Fastify binds it when the route is defined), so
    // under-pressure's own status route is answered by us only when it comes after.
    for (const url of order === 'after' ? ['/things', '/status'] : ['/things']) {
      const res = await app.inject(url)
      t.equal(res.statusCode, 503, `${url} is shed`)
      t.equal(res.headers['content-type'], 'application/problem+json')
      t.same(res.json(), { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'The server is under too much load to answer; retry later', instance: url, requestId: res.json().requestId })
      t.equal(res.headers['retry-after'], '7', 'the Retry-After under-pressure was configured with')
      t.equal(res.headers['cache-control'], 'no-store')
    }
    const shed = lines.filter((line) => line.status === 503)
    t.equal(shed.length, order === 'after' ? 2 : 1, 'one line per shed request')
    t.equal(shed[0].err.code, 'FST_UNDER_PRESSURE')
  })
}

t.test('@fastify/under-pressure when healthy lets requests through', async (t) => {
  const app = await appWith(t, 'after', async (app) => {
    await app.register(underPressure, { healthCheck: async () => true, healthCheckInterval: 60_000 })
  })
  t.equal((await app.inject('/things')).statusCode, 200)
})

/** What a circuit breaker raises while open: its message names the dependency. */
class CircuitOpenError extends Error {
  readonly retryAfter: number | Date
  constructor (retryAfter: number | Date) {
    super('Breaker for payments.internal:8443 is open')
    this.name = 'CircuitOpenError'
    this.retryAfter = retryAfter
  }
}

t.test('an error carrying retryAfter is a 503 with Retry-After, without a preset', async (t) => {
  const app = await build(t)
  const at = new Date('2030-01-02T03:04:05Z')
  app.get('/seconds', async () => { throw new CircuitOpenError(12.2) })
  app.get('/date', async () => { throw new CircuitOpenError(at) })
  app.get('/plain', async () => { throw Object.assign(new Error('pool draining at 10.0.0.5'), { retryAfter: 5 }) })
  app.get('/with-429', async () => { throw Object.assign(new Error('Quota used up'), { statusCode: 429, retryAfter: 3600 }) })
  app.get('/with-404', async () => { throw Object.assign(new Error('No such thing'), { statusCode: 404, retryAfter: 3 }) })
  app.get('/negative', async () => { throw new CircuitOpenError(-1) })
  app.get('/odd-status', async () => { throw Object.assign(new Error('breaker open'), { statusCode: 'open', retryAfter: 2 }) })

  const seconds = await app.inject('/seconds')
  t.equal(seconds.statusCode, 503)
  t.equal(seconds.headers['retry-after'], '13', 'seconds, rounded up')
  t.same(seconds.json(), { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'The service is temporarily unavailable; retry later', instance: '/seconds', requestId: seconds.json().requestId })
  t.notOk(seconds.body.includes('payments'), 'the breaker message is not sent')

  const date = await app.inject('/date')
  t.equal(date.statusCode, 503)
  t.equal(date.headers['retry-after'], 'Wed, 02 Jan 2030 03:04:05 GMT', 'a Date becomes an HTTP-date')

  const plain = await app.inject('/plain')
  t.equal(plain.statusCode, 503)
  t.equal(plain.headers['retry-after'], '5')
  t.notOk(plain.body.includes('10.0.0.5'))

  const quota = await app.inject('/with-429')
  t.equal(quota.statusCode, 429, 'a 429 of its own stays 429')
  t.equal(quota.headers['retry-after'], '3600')
  t.equal(quota.json().detail, 'Quota used up')

  const missing = await app.inject('/with-404')
  t.equal(missing.statusCode, 404, 'another status of its own is kept')
  t.equal(missing.headers['retry-after'], undefined)

  const odd = await app.inject('/odd-status')
  t.equal(odd.statusCode, 503, 'a statusCode that is no error status is no status of its own')
  t.equal(odd.headers['retry-after'], '2')

  const negative = await app.inject('/negative')
  t.equal(negative.statusCode, 500, 'an unusable retryAfter is an unexpected error')
  t.equal(negative.headers['retry-after'], undefined)
  t.same(negative.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500, instance: '/negative', requestId: negative.json().requestId })
})
