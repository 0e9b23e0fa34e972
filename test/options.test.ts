import t from 'tap'
import { Writable } from 'node:stream'
import { OptionError, ProblemError } from '../lib/index.js'
import { build, type Teardown } from './helpers.js'

/** Registers the plugin with `options` and gives back the registration error, if any. */
async function register (t: Teardown, options: unknown): Promise<unknown> {
  try {
    const app = await build(t, options as never)
    await app.ready()
    return undefined
  } catch (err) {
    return err
  }
}

const bad: Array<[string, Record<string, unknown>, RegExp?]> = [
  ['typeBase', { typeBase: 42 }],
  ['typeBase', { typeBase: '' }],
  ['typeBase', { typeBase: 'problems/' }, /absolute URI or a path/],
  ['typeBase', { typeBase: '//evil.example/' }],
  ['typeBase', { typeBase: null }],
  ['typeDocs', { typeDocs: 'yes' }, /a boolean/],
  ['typeDocs', { typeDocs: true }, /together with typeBase/],
  ['requestIdMember', { requestIdMember: true }],
  ['requestIdMember', { requestIdMember: '' }],
  ['requestIdMember', { requestIdMember: 'id' }, /three or more/],
  ['requestIdMember', { requestIdMember: 'request-id' }],
  ['requestIdMember', { requestIdMember: 'status' }, /not a standard member/],
  ['requestIdMember', { requestIdMember: 'title' }],
  ['requestIdMember', { requestIdMember: null }],
  ['instance', { instance: 'url' }, /'path', false or a function/],
  ['instance', { instance: true }],
  ['instance', { instance: null }],
  ['exposeDetails', { exposeDetails: 'true' }, /a boolean/],
  ['exposeDetails', { exposeDetails: 1 }],
  ['validationStatus', { validationStatus: 418 }, /400 or 422/],
  ['validationStatus', { validationStatus: '422' }],
  ['validationStatus', { validationStatus: null }],
  ['presets', { presets: 'postgres' }],
  ['presets', { presets: ['oracle'] }, /'postgres', 'prisma', 'mongodb', 'network'/],
  ['presets', { presets: [1] }],
  ['locales', { locales: 'de' }],
  ['locales', { locales: { 'not a tag!': {} } }, /language tags/],
  ['locales.de', { locales: { de: 'Nicht gefunden' } }],
  ['locales.de.404', { locales: { de: { 404: 42 } } }],
  ['compat', { compat: true }, /false or 'fastify'/],
  ['compat', { compat: 'express' }],
  ['compat', { compat: null }],
  ['logLevels', { logLevels: 'info' }],
  ['logLevels', { logLevels: { 600: 'info' } }, /a status 400–599/],
  ['logLevels', { logLevels: { '3xx': 'info' } }],
  ['logLevels.404', { logLevels: { 404: 'loud' } }, /one of fatal, error, warn, info, debug, trace, silent/],
  ['logLevels.5xx', { logLevels: { '5xx': 50 } }],
  ['openapi', { openapi: true }],
  ['openapi', { openapi: { defaultResponses: 'yes' } }],
  ['conformance', { conformance: 'yes' }, /a boolean/],
  ['conformance', { conformance: null }],
  ['typoBase', { typoBase: 'https://x/' }, /a known option/]
]

t.test('every bad option is refused at registration, naming the option', async (t) => {
  for (const [name, options, expected] of bad) {
    const err = await register(t, options)
    if (!t.ok(err instanceof OptionError, `${JSON.stringify(options)} is refused`)) continue
    t.match(err, { code: 'FST_PROBLEM_DETAILS_OPTION', name: 'OptionError' })
    t.match((err as Error).message, `option "${name}" must be`, `the error names ${name}`)
    if (expected !== undefined) t.match((err as Error).message, expected, 'and says what it accepts')
  }
})

t.test('the options object itself must be an object', async (t) => {
  // Fastify passes an array or a string through to the plugin as its options.
  for (const options of [[], 'x']) {
    const err = await register(t, options)
    t.ok(err instanceof OptionError, JSON.stringify(options))
    t.match(err, { name: 'OptionError', message: /option "options" must be an object/ })
  }
})

t.test('the error says what it got without echoing objects', async (t) => {
  t.match((await register(t, { instance: () => 'x', validationStatus: [422] }) as Error).message, '(got an array)')
  t.match((await register(t, { compat: {} }) as Error).message, '(got an object)')
  t.match((await register(t, { compat: () => 1 }) as Error).message, '(got a function)')
  t.match((await register(t, { requestIdMember: 'x y' }) as Error).message, '(got "x y")')
})

t.test('good values are accepted', async (t) => {
  const good: Array<Record<string, unknown>> = [
    {},
    { typeBase: 'https://api.example.com/problems/' },
    { typeBase: 'https://api.example.com/problems' },
    { typeBase: '/problems/' },
    { typeBase: '/problems/', typeDocs: true },
    { typeDocs: false },
    { requestIdMember: 'traceId' },
    { requestIdMember: 'request_id' },
    { requestIdMember: false },
    { instance: 'path' },
    { instance: false },
    { instance: (req: { id: string }) => 'urn:req:' + req.id },
    { exposeDetails: true },
    { exposeDetails: false },
    { validationStatus: 400 },
    { validationStatus: 422 },
    { presets: [] },
    { presets: ['postgres', 'network', 'postgres'] },
    { locales: { de: { 404: 'Nicht gefunden' }, 'pt-BR': { 404: 'Não encontrado' } } },
    { compat: false },
    { compat: 'fastify' },
    { logLevels: { 404: 'warn', '4xx': 'debug', '5xx': 'fatal', 503: 'silent' } },
    { openapi: {} },
    { openapi: { defaultResponses: true } },
    { prefix: '/api', logLevel: 'warn' }
  ]
  for (const options of good) {
    t.equal(await register(t, options), undefined, `${JSON.stringify(options)} is accepted`)
  }
})

t.test('normalized settings, as the answers show them', async (t) => {
  const lines: Array<{ level: number, status?: number }> = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done() } })
  const app = await build(t, {
    typeBase: 'https://api.example.com/problems',
    presets: ['postgres', 'postgres'],
    logLevels: { 404: 'warn', '5xx': 'fatal' }
  }, { logger: { level: 'trace', stream } })
  app.get('/typed', async () => { throw new ProblemError({ status: 409, type: 'out-of-stock' }) })
  app.get('/status/:n', async (request, reply) => reply.problem({ status: Number((request.params as { n: string }).n) }))
  app.get('/unique', async () => { throw Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), { code: '23505', severity: 'ERROR', constraint: 'users_email_key' }) })

  t.equal((await app.inject('/typed')).json().type, 'https://api.example.com/problems/out-of-stock',
    'a base without a trailing slash gets one (RFC 3986 §5.2.3)')
  t.equal((await app.inject('/unique')).statusCode, 409, 'a preset named twice is applied')

  const levelOf = async (status: number): Promise<number | undefined> => {
    lines.length = 0
    await app.inject(`/status/${status}`)
    return lines.find((line) => line.status === status)?.level
  }
  t.equal(await levelOf(404), 40, '404 at warn, as asked')
  t.equal(await levelOf(429), 40, '429 keeps its default, warn')
  t.equal(await levelOf(400), 30)
  t.equal(await levelOf(503), 60, '5xx at fatal, as asked')

  const defaults = await build(t)
  defaults.get('/typed', async () => { throw new ProblemError({ status: 409, type: 'out-of-stock' }) })
  defaults.post('/v', { schema: { body: { type: 'object', required: ['a'] } } }, async () => ({}))
  defaults.get('/boom', async () => { throw new Error('secret') })
  const typed = (await defaults.inject('/typed')).json()
  t.equal(typed.type, 'out-of-stock', 'no typeBase: a relative type is sent as it is')
  t.equal(typed.instance, '/typed', "instance: 'path'")
  t.type(typed.requestId, 'string', "requestIdMember: 'requestId'")
  t.notOk('statusCode' in typed, 'compat: false')
  t.equal((await defaults.inject({ method: 'POST', url: '/v', payload: {} })).statusCode, 400, 'validationStatus: 400')
  t.notMatch((await defaults.inject('/boom')).body, /secret/, 'exposeDetails: false')
})
