import t from 'tap'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import Fastify, { type FastifyInstance } from 'fastify'
import Boom from '@hapi/boom'
import { Agent, request } from 'undici'
import problemDetails, { type ProblemDetailsOptions } from '../lib/index.js'
import { BoundedCache, stringBytes } from '../lib/bounded-cache.js'
import { acceptCache, negotiate, negotiateUncached } from '../lib/response/negotiate.js'

// Caches that cannot be turned against the server (docs/security.md#caches):
// bounded by entries and bytes, never deciding an answer by the order of
// requests, and no header whose cost grows faster than its length.

async function app (t: { teardown: (fn: () => unknown) => void }, options: ProblemDetailsOptions = {}): Promise<FastifyInstance> {
  const fastify = Fastify()
  t.teardown(() => fastify.close())
  await fastify.register(problemDetails, options)
  return fastify
}

t.test('the bounded cache: entries, bytes, entry size, first in first out', async (t) => {
  const byEntries = new BoundedCache<number>(3, 1 << 20)
  for (let i = 0; i < 10; i++) byEntries.set('k' + i, i)
  t.equal(byEntries.size, 3)
  t.same([byEntries.get('k6'), byEntries.get('k7'), byEntries.get('k8'), byEntries.get('k9')], [undefined, 7, 8, 9], 'the oldest go first')

  const byBytes = new BoundedCache<string>(1000, 4096, 4096)
  for (let i = 0; i < 100; i++) byBytes.set('key' + i, 'v'.repeat(100), stringBytes('v'.repeat(100)))
  t.ok(byBytes.bytes <= 4096, `bytes held (${byBytes.bytes}) within the bound`)
  t.ok(byBytes.size > 1 && byBytes.size < 100)
  t.equal(byBytes.get('key99'), 'v'.repeat(100), 'the newest is kept')

  const small = new BoundedCache<string>(10, 1 << 20, 256)
  small.set('x'.repeat(200), 'too large')
  t.equal(small.size, 0, 'an entry above the entry bound is not kept')
  small.set('a', 'one')
  small.set('a', 'two')
  t.equal(small.size, 1, 'setting a key again replaces it')
  t.equal(small.get('a'), 'two')
  const held = small.bytes
  small.set('a', 'three')
  t.equal(small.bytes, held, 'and does not count it twice')
  small.clear()
  t.equal(small.size, 0)
  t.equal(small.bytes, 0)
})

t.test('the Accept cache is bounded by entries and bytes, and answers as negotiation does', async (t) => {
  const cache = acceptCache()
  let wrong = 0
  for (let i = 0; i < 5000; i++) {
    const header = `application/problem+xml;q=0.${(i % 9) + 1}, application/x-${i}-${'y'.repeat(i % 300)}`
    if (negotiate(header, cache) !== negotiateUncached(header) || negotiate(header, cache) !== negotiateUncached(header)) wrong++
  }
  t.equal(wrong, 0, 'cached or not, the same answer')
  t.ok(cache.size <= cache.maxEntries, `entries (${cache.size}) within ${cache.maxEntries}`)
  t.ok(cache.bytes <= cache.maxBytes, `bytes (${cache.bytes}) within ${cache.maxBytes}`)
  const long = 'application/problem+xml, ' + 'x/y, '.repeat(2000)
  t.equal(negotiate(long, cache), negotiateUncached(long), 'a header too long to keep is negotiated all the same')
  t.equal(cache.get(long), undefined)
})

/** `global.gc`, without starting the test with --expose-gc. */
function collector (): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

t.test('800 distinct long relative types keep nothing large alive', async (t) => {
  const gc = collector()
  const fastify = await app(t, { typeBase: 'https://api.example.com/problems/' })
  const LENGTH = 128 * 1024
  fastify.problemDetails.map('E_LONG_TYPE', (error: { longType: string }) => ({ status: 409, type: error.longType }))
  fastify.get('/long/:i', async (request) => {
    const i = (request.params as { i: string }).i
    throw Object.assign(new Error('x'), { code: 'E_LONG_TYPE', longType: `t${i}-${'x'.repeat(LENGTH)}` })
  })
  fastify.get('/short/:i', async (request) => {
    throw Object.assign(new Error('x'), { code: 'E_LONG_TYPE', longType: `short-${(request.params as { i: string }).i}` })
  })
  // A real server: inject's responses keep one another alive, which would hide what the plugin keeps.
  const address = await fastify.listen({ host: '127.0.0.1', port: 0 })
  const agent = new Agent({ connections: 1 })
  t.teardown(() => agent.close())
  const get = async (path: string): Promise<{ status: number, type: string }> => {
    const res = await request(address + path, { dispatcher: agent })
    const body = await res.body.json() as { type: string }
    return { status: res.statusCode, type: body.type }
  }
  await get('/short/warm-up')
  gc()
  gc()
  const before = process.memoryUsage().heapUsed
  let wrong = 0
  for (let i = 0; i < 800; i++) {
    const { status, type } = await get(`/long/${i}`)
    if (status !== 409 || !type.startsWith(`https://api.example.com/problems/t${i}-`) || type.length < LENGTH) wrong++
  }
  t.equal(wrong, 0, 'every long type is answered, resolved')
  // Many short distinct types too: the cache stays within its entries and bytes.
  for (let i = 0; i < 2000; i++) await get(`/short/${i}`)
  t.equal((await get('/short/again')).type, 'https://api.example.com/problems/short-again')
  gc()
  gc()
  const grown = process.memoryUsage().heapUsed - before
  // 800 × 128 KiB of type, and as much again resolved, is 200 MB when kept.
  t.ok(grown < 16 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MB`)
})

/** Microseconds per request of `headers` (cycled), over `n` requests. */
async function costOf (fastify: FastifyInstance, headers: Record<string, string>, n: number): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await fastify.inject({ url: '/missing', headers })
  return Number(process.hrtime.bigint() - start) / 1e3 / n
}

t.test('Accept-Language matching is linear in the header\'s length: a 15 KB header costs a few normal requests', async (t) => {
  const fastify = await app(t, { locales: { de: { 404: 'Nicht gefunden' }, 'de-CH': { 404: 'Nöd gfunde' }, 'zh-Hant-TW': { 404: '找不到' } } })
  fastify.get('/missing', async (_request, reply) => reply.notFound())
  const normal = { 'accept-language': 'de-CH,de;q=0.9,en;q=0.8' }
  const long: Record<string, Record<string, string>> = {
    'one long range': { 'accept-language': 'fr-' + 'abcdefgh-'.repeat(1700) },
    'a range of singletons': { 'accept-language': 'fr-' + 'a-'.repeat(7500) },
    'many ranges': { 'accept-language': 'xx-yy-zz;q=0.5,'.repeat(1000) + 'de' },
    'many exclusions and acceptances': { 'accept-language': 'es;q=0.9,'.repeat(1000) + 'de;q=0,'.repeat(1200) + 'de-CH' }
  }
  const language = async (header: string): Promise<unknown> =>
    (await fastify.inject({ url: '/missing', headers: { 'accept-language': header } })).headers['content-language']
  t.equal(await language(long['many exclusions and acceptances']['accept-language']), 'de-CH', 'long headers are still matched, and right')
  t.equal(await language(long['many ranges']['accept-language']), 'de')
  t.equal(await language('xx,'.repeat(31) + 'de'), 'de', 'the 32 best-weighted ranges are tried')
  t.equal(await language('xx,'.repeat(32) + 'de'), 'en', 'and no more: a browser sends a handful')
  t.equal(await language('xx,'.repeat(100) + 'de;q=1, xx;q=0.5'), 'en', 'in the client\'s order at equal weight')
  t.equal(await language('xx;q=0.5,'.repeat(100) + 'de'), 'de', 'a better weight comes first wherever it is')
  for (const [name, headers] of Object.entries(long)) {
    await costOf(fastify, headers, 5)
    await costOf(fastify, normal, 50)
    // The best of interleaved rounds for each: a loaded machine slows some rounds, not the best ones.
    let base = Infinity
    let cost = Infinity
    for (let round = 0; round < 7; round++) {
      base = Math.min(base, await costOf(fastify, normal, 100))
      cost = Math.min(cost, await costOf(fastify, headers, 10))
    }
    const ratio = cost / base
    t.ok(ratio < 20, `${name}: ${headers['accept-language'].length} characters cost ${ratio.toFixed(1)}× a normal request (${cost.toFixed(0)} µs, ${base.toFixed(0)} µs)`)
  }
})

t.test('translations are chosen by what the problem carries, whatever came before', async (t) => {
  const base = 'https://api.example.com/problems/'
  const locales = { de: { 'ordered-type': 'Übersetzt' }, fr: { [base + 'ordered-type']: 'Traduit' } }
  const orders = [['relative', 'absolute'], ['absolute', 'relative']]
  const answers: string[][] = []
  for (const order of orders) {
    const fastify = await app(t, { typeBase: base, locales })
    fastify.get('/relative', async (_request, reply) => reply.problem({ status: 409, type: 'ordered-type', title: 'Ordered' }))
    fastify.get('/absolute', async (_request, reply) => reply.problem({ status: 409, type: base + 'ordered-type', title: 'Ordered' }))
    const seen: string[] = []
    for (const path of order) {
      for (const language of ['de', 'fr', 'es']) {
        const res = await fastify.inject({ url: '/' + path, headers: { 'accept-language': language } })
        seen.push(`${path} ${language}: ${res.json().title as string} (${res.headers['content-language'] as string})`)
      }
    }
    answers.push(seen.sort())
  }
  t.same(answers[0], answers[1], 'the same answers in either order')
  t.ok(answers[0].includes('relative de: Übersetzt (de)'))
  t.ok(answers[0].includes('absolute de: Übersetzt (de)'), 'a key as defined applies to the type however it is carried')
  t.ok(answers[0].includes('relative fr: Traduit (fr)'), 'a key as resolved too')
  t.ok(answers[0].includes('absolute es: Ordered (en)'))
})

t.test('a Symbol.hasInstance matcher is asked for each error: never skipped, never called for others', async (t) => {
  /** Claims errors by an instance flag, as Boom's class does with `isBoom`. */
  class Flagged {
    static [Symbol.hasInstance] (value: unknown): boolean {
      return value instanceof Error && (value as { flagged?: unknown }).flagged === true
    }
  }
  const flagged = (message: string): Error => Object.assign(new Error(message), { flagged: true })
  for (const first of ['claimed', 'unclaimed']) {
    const fastify = await app(t)
    const calledWith: unknown[] = []
    fastify.problemDetails.map(Flagged, (error: Error) => {
      calledWith.push(error)
      if (!(error instanceof Flagged)) t.fail('called with an error it does not claim')
      return { status: 418, detail: error.message }
    })
    fastify.problemDetails.map(Boom.Boom, (error: Boom.Boom) => ({ status: 409, detail: 'boom ' + error.message }))
    const errors: Record<string, () => Error> = {
      claimed: () => flagged('mine'),
      unclaimed: () => new Error('not mine'),
      boomified: () => Boom.boomify(new Error('made a Boom'), { statusCode: 400 }),
      boomifiedRange: () => Boom.boomify(new RangeError('a range Boom'), { statusCode: 400 })
    }
    fastify.get('/:kind', async (request) => { throw errors[(request.params as { kind: string }).kind]() })
    const order = first === 'claimed' ? ['claimed', 'unclaimed', 'boomified', 'claimed', 'unclaimed'] : ['unclaimed', 'claimed', 'unclaimed', 'boomified', 'claimed']
    let claimed = 0
    for (const kind of order) {
      const res = await fastify.inject('/' + kind)
      if (kind === 'claimed') {
        claimed++
        t.equal(res.statusCode, 418, `${first} first: a claimed error is mapped`)
        t.equal(res.json().detail, 'mine')
      } else if (kind === 'unclaimed') {
        t.equal(res.statusCode, 500, `${first} first: an error of the same prototype it does not claim is not`)
      } else {
        t.equal(res.statusCode, 409, 'Boom\'s own class claims a boomified Error')
        t.equal(res.json().detail, 'boom made a Boom')
      }
    }
    t.equal(calledWith.length, claimed, 'the mapper was called once per claimed error, and only then')

    // Ranking stays: a class in the prototype chain beats a claimer, a claimer beats a catch-all on Error.
    const ranked = await app(t)
    ranked.problemDetails.map(Error, () => ({ status: 503, detail: 'catch-all' }))
    ranked.problemDetails.map(Boom.Boom, () => ({ status: 409, detail: 'boom' }))
    ranked.problemDetails.map(RangeError, () => ({ status: 416, detail: 'range' }))
    ranked.get('/:kind', async (request) => { throw errors[(request.params as { kind: string }).kind]() })
    t.equal((await ranked.inject('/unclaimed')).json().detail, 'catch-all')
    t.equal((await ranked.inject('/boomified')).json().detail, 'boom')
    t.equal((await ranked.inject('/boomifiedRange')).json().detail, 'range', 'the prototype chain ranks first')
    t.equal((await ranked.inject('/unclaimed')).json().detail, 'catch-all', 'still, after a claimed one')
  }
})
