import { Writable } from 'node:stream'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import problemDetails, { BadRequest, Conflict, ProblemError, type ProblemDetailsOptions } from '../lib/index.js'

// The development-mode conformance checker: one warning per route and problem
// for what RFC 9457 advises against, off in production and with `conformance: false`.

async function app (options: ProblemDetailsOptions = {}): Promise<{ app: FastifyInstance, warnings: Array<Record<string, unknown>> }> {
  const warnings: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) {
        if (line === '') continue
        const entry = JSON.parse(line)
        if (entry.level === 40 && String(entry.msg).startsWith('fastify-problem-details:')) warnings.push(entry)
      }
      done()
    }
  })
  const fastify = Fastify({ logger: { level: 'warn', stream } })
  await fastify.register(problemDetails, options)
  fastify.get('/names', async () => { throw new Conflict('x', { ok_name: 1, a: 1, '1st': 2, 'with-dash': 3, ok: 4 }) })
  fastify.get('/names/again', async () => { throw new Conflict('x', { a: 1 }) })
  fastify.get('/blank', async () => { throw new ProblemError({ status: 404, title: 'Nothing here' }) })
  fastify.get('/blank-ok', async () => { throw new ProblemError({ status: 404 }) })
  fastify.get('/typed/:n', async (request) => {
    const n = (request.params as { n: string }).n
    throw new ProblemError({ status: 409, type: 'https://example.com/probs/out-of-credit', title: n === '1' ? 'You do not have enough credit' : 'Not enough credit' })
  })
  fastify.get('/plain', async () => { throw new BadRequest('fine', { balance: 30 }) })
  return { app: fastify, warnings }
}

t.test('extension member names outside RFC 9457 §3.2: one warning per route and name', async (t) => {
  const { app: fastify, warnings } = await app()
  t.teardown(() => fastify.close())
  for (let i = 0; i < 3; i++) t.equal((await fastify.inject('/names')).statusCode, 409, 'the response is unchanged')
  const members = warnings.map((w) => w.member).sort()
  t.same(members, ['1st', 'a', 'ok', 'with-dash'], 'each bad name once, however many requests')
  t.equal(warnings[0].route, 'GET /names')
  t.match(String(warnings[0].msg), /RFC 9457 §3\.2/)
  await fastify.inject('/names/again')
  t.equal(warnings.length, 5, 'another route: warned again')
  t.equal(warnings[4].route, 'GET /names/again')
})

t.test('about:blank with a title other than the reason phrase (§4.2.1)', async (t) => {
  const { app: fastify, warnings } = await app()
  t.teardown(() => fastify.close())
  await fastify.inject('/blank')
  await fastify.inject('/blank')
  await fastify.inject('/blank-ok')
  await fastify.inject('/plain')
  await fastify.inject('/nowhere')
  t.equal(warnings.length, 1)
  t.match(warnings[0], { route: 'GET /blank', status: 404, title: 'Nothing here', expected: 'Not Found' })
  t.match(String(warnings[0].msg), /§4\.2\.1/)
})

t.test('one type sent with two different titles (§3.1.3)', async (t) => {
  const { app: fastify, warnings } = await app()
  t.teardown(() => fastify.close())
  await fastify.inject('/typed/1')
  await fastify.inject('/typed/1')
  t.equal(warnings.length, 0, 'one title: fine')
  await fastify.inject('/typed/2')
  await fastify.inject('/typed/2')
  t.equal(warnings.length, 1, 'the second title: one warning')
  t.match(warnings[0], { route: 'GET /typed/:n', type: 'https://example.com/probs/out-of-credit', title: 'Not enough credit', firstTitle: 'You do not have enough credit' })
})

t.test('translated titles are not a second title: the check is on the untranslated text', async (t) => {
  const { app: fastify, warnings } = await app({ locales: { de: { 'https://example.com/probs/out-of-credit': 'Kein Guthaben', 404: 'Nicht gefunden' } } })
  t.teardown(() => fastify.close())
  await fastify.inject({ url: '/typed/1', headers: { 'accept-language': 'de' } })
  await fastify.inject({ url: '/typed/1' })
  await fastify.inject({ url: '/blank-ok', headers: { 'accept-language': 'de' } })
  t.equal(warnings.length, 0)
})

t.test('conformance: false, and NODE_ENV=production, turn it off; true turns it on in production (bad values: test/options.test.ts)', async (t) => {
  const off = await app({ conformance: false })
  t.teardown(() => off.app.close())
  await off.app.inject('/names')
  await off.app.inject('/blank')
  t.equal(off.warnings.length, 0, 'conformance: false')

  const env = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  t.teardown(() => { process.env.NODE_ENV = env })
  const production = await app()
  const forced = await app({ conformance: true })
  process.env.NODE_ENV = env
  t.teardown(() => production.app.close())
  t.teardown(() => forced.app.close())
  await production.app.inject('/names')
  t.equal(production.warnings.length, 0, 'production: decided at registration')
  await forced.app.inject('/blank')
  t.equal(forced.warnings.length, 1, 'conformance: true')
})

t.test('bounded: two apps keep their own state, and warnings stop at a thousand', async (t) => {
  const one = await app()
  const two = await app()
  t.teardown(() => one.app.close())
  t.teardown(() => two.app.close())
  one.app.get('/many/:n', async (request) => { throw new Conflict('x', { ['m' + (request.params as { n: string }).n + '-']: 1 }) })
  await one.app.inject('/typed/1')
  await two.app.inject('/typed/2')
  t.equal(one.warnings.length + two.warnings.length, 0, 'each app has its own first title')
  for (let i = 0; i < 1100; i++) await one.app.inject('/many/' + i)
  t.equal(one.warnings.length, 1000, 'no more than 1000 warnings per app')
})
