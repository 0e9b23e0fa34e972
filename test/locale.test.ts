import t from 'tap'
import { Writable } from 'node:stream'
import { request } from 'undici'
import { build, type Teardown } from './helpers.js'
import { OptionError, ProblemError, ValidationProblem, matchLanguage, type Locales } from '../lib/index.js'

const TYPE_BASE = 'https://api.example.com/problems/'
const CREDIT = TYPE_BASE + 'out-of-credit'

const locales: Locales = {
  de: {
    404: 'Nicht gefunden',
    400: 'Ungültige Anfrage',
    [CREDIT]: { title: 'Sie haben nicht genug Guthaben', detail: 'Ihr Guthaben beträgt {balance}, die Kosten {cost}' }
  },
  'de-CH': { 404: 'Nöd gfunde' },
  fr: { 404: 'Introuvable', 'out-of-credit': 'Crédit insuffisant' },
  'zh-Hant': { 404: '找不到' }
}

async function app (t: Teardown, options = {}) {
  const fastify = await build(t, { typeBase: TYPE_BASE, locales, ...options })
  fastify.get('/missing', async (_req, reply) => reply.notFound('No such user'))
  fastify.get('/credit', async () => {
    throw new ProblemError({ status: 403, type: 'out-of-credit', title: 'You do not have enough credit', detail: 'Your balance is 20, the cost is 30', extensions: { balance: 20, cost: 30 } })
  })
  fastify.get('/credit-no-cost', async () => {
    throw new ProblemError({ status: 403, type: 'out-of-credit', title: 'You do not have enough credit', detail: 'Your balance is 20', extensions: { balance: 20 } })
  })
  fastify.get('/custom-title', async (_req, reply) => reply.problem({ status: 404, title: 'User missing' }))
  fastify.get('/conflict', async (_req, reply) => reply.conflict('Taken'))
  fastify.get('/invalid', async () => { throw new ValidationProblem([{ detail: 'must be a string', pointer: '#/body/name' }]) })
  return fastify
}

t.test('Accept-Language chooses the title; Content-Language names it; type never changes', async (t) => {
  const fastify = await app(t)
  const cases: Array<[string | undefined, string, string]> = [
    [undefined, 'Not Found', 'en'],
    ['de', 'Nicht gefunden', 'de'],
    ['de-DE', 'Nicht gefunden', 'de'],
    ['DE-de', 'Nicht gefunden', 'de'],
    ['de-CH', 'Nöd gfunde', 'de-CH'],
    ['de-CH-1996', 'Nöd gfunde', 'de-CH'],
    ['de-AT, fr;q=0.9', 'Nicht gefunden', 'de'],
    ['fr;q=0.5, de;q=0.8', 'Nicht gefunden', 'de'],
    ['fr, de', 'Introuvable', 'fr'],
    ['fr;q=0.9, de', 'Nicht gefunden', 'de'],
    ['en-US, de;q=0.9', 'Not Found', 'en'],
    ['es', 'Not Found', 'en'],
    ['es, *;q=0.5', 'Not Found', 'en'],
    ['*', 'Not Found', 'en'],
    ['es, de;q=0.1', 'Nicht gefunden', 'de'],
    ['de-CH, de-ch;q=0', 'Nicht gefunden', 'de'],
    ['de;q=0, fr;q=0.1', 'Introuvable', 'fr'],
    ['de;q=0', 'Not Found', 'en'],
    ['zh-Hant-TW', '找不到', 'zh-Hant'],
    ['zh-hant-x-private', '找不到', 'zh-Hant'],
    ['de;q=nonsense, fr', 'Introuvable', 'fr'],
    [';;,,', 'Not Found', 'en']
  ]
  for (const [language, title, contentLanguage] of cases) {
    const res = await fastify.inject({ url: '/missing', headers: language === undefined ? {} : { 'accept-language': language } })
    const body = res.json()
    t.equal(body.title, title, `${language} → ${title}`)
    t.equal(res.headers['content-language'], contentLanguage, `${language} → Content-Language ${contentLanguage}`)
    t.equal(body.type, 'about:blank')
    t.equal(body.detail, 'No such user', 'free-text details of status problems stay as sent')
    t.equal(res.headers.vary, 'Accept, Accept-Language')
  }
})

t.test('defined types: by resolved or defined type; details from a template; type unchanged', async (t) => {
  const fastify = await app(t)
  let res = await fastify.inject({ url: '/credit', headers: { 'accept-language': 'de-DE' } })
  t.equal(res.statusCode, 403)
  t.same(res.json(), {
    type: CREDIT,
    title: 'Sie haben nicht genug Guthaben',
    status: 403,
    detail: 'Ihr Guthaben beträgt 20, die Kosten 30',
    instance: '/credit',
    requestId: res.json().requestId,
    balance: 20,
    cost: 30
  })
  t.equal(res.headers['content-language'], 'de')

  res = await fastify.inject({ url: '/credit', headers: { 'accept-language': 'fr' } })
  t.equal(res.json().title, 'Crédit insuffisant', 'keyed by the type as defined')
  t.equal(res.json().detail, 'Your balance is 20, the cost is 30', 'no detail template: the detail stays')
  t.equal(res.json().type, CREDIT)

  res = await fastify.inject({ url: '/credit-no-cost', headers: { 'accept-language': 'de' } })
  t.equal(res.json().title, 'Sie haben nicht genug Guthaben')
  t.equal(res.json().detail, 'Your balance is 20', 'a placeholder without a member keeps the original detail')

  res = await fastify.inject({ url: '/credit', headers: { 'accept-language': 'it' } })
  t.equal(res.json().title, 'You do not have enough credit')
  t.equal(res.headers['content-language'], 'en')
})

t.test('no translation possible: no Content-Language, no Vary on Accept-Language', async (t) => {
  const fastify = await app(t)
  for (const url of ['/conflict', '/custom-title']) {
    const res = await fastify.inject({ url, headers: { 'accept-language': 'de' } })
    t.equal(res.headers['content-language'], undefined, url)
    t.equal(res.headers.vary, 'Accept', url)
  }
  const custom = await fastify.inject({ url: '/custom-title', headers: { 'accept-language': 'de' } })
  t.equal(custom.json().title, 'User missing', 'a custom title of an about:blank problem is not replaced by the status translation')
  const validation = await fastify.inject({ url: '/invalid', headers: { 'accept-language': 'de' } })
  t.equal(validation.json().title, 'Ungültige Anfrage', 'validation problems carry the 400 title')
  t.same(validation.json().errors, [{ detail: 'must be a string', pointer: '#/body/name' }])
})

t.test('without locales: nothing changes and nothing is added', async (t) => {
  const fastify = await build(t)
  fastify.get('/missing', async (_req, reply) => reply.notFound())
  const res = await fastify.inject({ url: '/missing', headers: { 'accept-language': 'de' } })
  t.equal(res.json().title, 'Not Found')
  t.equal(res.headers['content-language'], undefined)
  t.equal(res.headers.vary, 'Accept')
})

t.test('XML bodies are localized too; the log keeps the untranslated title', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()))
      cb()
    }
  })
  const fastify = await build(t, { locales }, { logger: { level: 'info', stream } })
  fastify.get('/missing', async (_req, reply) => reply.notFound())
  const res = await fastify.inject({ url: '/missing', headers: { 'accept-language': 'de', accept: 'application/problem+xml' } })
  t.match(res.body, '<title>Nicht gefunden</title>')
  t.equal(res.headers['content-language'], 'de')
  const line = lines.find((l) => l.status === 404)
  t.ok(line, 'the problem was logged')
  t.equal(line?.msg, 'Not Found')
})

t.test('a real client over a listening server', async (t) => {
  const fastify = await app(t)
  await fastify.listen({ host: '127.0.0.1', port: 0 })
  const { port } = fastify.server.address() as { port: number }
  const res = await request(`http://127.0.0.1:${port}/missing`, { headers: { 'accept-language': 'fr-CA,fr;q=0.9,en;q=0.8' } })
  t.equal(res.statusCode, 404)
  t.equal(res.headers['content-language'], 'fr')
  t.equal(res.headers.vary, 'Accept, Accept-Language')
  t.equal((await res.body.json() as { title: string }).title, 'Introuvable')
})

t.test('the locales option is checked at registration', async (t) => {
  await t.rejects(build(t, { locales: { de: { 404: { title: 1 } } } as never }), OptionError)
  await t.rejects(build(t, { locales: { de: { 404: { name: 'x' } } } as never }), OptionError)
  await t.rejects(build(t, { locales: { 'not a tag': {} } }), OptionError)
  await t.rejects(build(t, { locales: { de: 'Nicht gefunden' } as never }), OptionError)
  await build(t, { locales: { de: { 404: { detail: 'Nichts unter {path}' } } } })
  t.pass('{ detail } alone is accepted')
})

t.test('matchLanguage: the same Lookup for the user\'s own choices', async (t) => {
  const available = ['en', 'de', 'pt-BR']
  t.equal(matchLanguage('de-AT', available), 'de')
  t.equal(matchLanguage('pt-br', available), 'pt-BR', 'the caller\'s spelling is given back')
  t.equal(matchLanguage('pt', available), undefined, 'Lookup does not widen a range')
  t.equal(matchLanguage('es, en;q=0.1', available), 'en')
  t.equal(matchLanguage('*', available), undefined, '* leaves the choice to the caller')
  t.equal(matchLanguage(undefined, available), undefined)
  t.equal(matchLanguage('de;q=0, en;q=0.5', available), 'en')
})

t.test('tags in conventional case; a throwing extension member keeps the original detail', async (t) => {
  const fastify = await build(t, { locales: { 'SL-ROZAJ': { 404: 'Ni najdeno' }, de: { 'https://x/t': { detail: 'Wert {value}' } } } })
  fastify.get('/missing', async (_req, reply) => reply.notFound())
  fastify.get('/hostile', async () => {
    const error = new ProblemError({ status: 409, type: 'https://x/t', detail: 'Value ?' })
    Object.defineProperty(error.extensions, 'value', { enumerable: true, get () { throw new Error('getter') } })
    throw error
  })
  const res = await fastify.inject({ url: '/missing', headers: { 'accept-language': 'sl-rozaj' } })
  t.equal(res.headers['content-language'], 'sl-rozaj')
  t.equal(res.json().title, 'Ni najdeno')
  const hostile = await fastify.inject({ url: '/hostile', headers: { 'accept-language': 'de' } })
  t.equal(hostile.statusCode, 409)
  t.equal(hostile.json().detail, 'Value ?')
  t.equal(hostile.headers['content-language'], 'de', 'a detail-only translation still names its language')
})

t.test('the ajv-i18n recipe: a validation mapping that translates messages and passes on', async (t) => {
  // A stand-in with ajv-i18n's shape (`localize.de(errors)` rewrites each
  // error's message from its keyword), since ajv-i18n is not a dependency.
  const localize: Record<string, (errors: Array<{ keyword: string, message?: string }>) => void> = {
    de (errors) {
      for (const e of errors) if (e.keyword === 'required') e.message = 'muss die Eigenschaft enthalten'
    }
  }
  const fastify = await build(t, { locales: { de: { 400: 'Ungültige Anfrage' } } })
  fastify.problemDetails.map('FST_ERR_VALIDATION', (error: Error & { validation: Array<{ keyword: string, message?: string }> }, request) => {
    const language = matchLanguage(request.headers['accept-language'], Object.keys(localize))
    if (language !== undefined) {
      localize[language](error.validation)
      error.message = 'Die Anfrage ist ungültig'
    }
    return undefined
  })
  fastify.post('/users', { schema: { body: { type: 'object', required: ['name'] } } }, async () => ({}))
  const de = (await fastify.inject({ method: 'POST', url: '/users', payload: {}, headers: { 'accept-language': 'de-AT' } })).json()
  t.equal(de.title, 'Ungültige Anfrage')
  t.equal(de.detail, 'Die Anfrage ist ungültig')
  t.same(de.errors, [{ detail: 'muss die Eigenschaft enthalten', pointer: '#/body/name' }])
  const en = (await fastify.inject({ method: 'POST', url: '/users', payload: {} })).json()
  t.equal(en.title, 'Bad Request')
  t.same(en.errors, [{ detail: "must have required property 'name'", pointer: '#/body/name' }])
})
