import t from 'tap'
import Fastify from 'fastify'
import problemDetails, { OptionError } from '../lib/index.js'
import { normalizeOptions } from '../lib/fastify/options.js'

/** Registers the plugin with `options` and gives back the registration error, if any. */
async function register (options: unknown): Promise<unknown> {
  const app = Fastify()
  try {
    await app.register(problemDetails, options as never)
    await app.ready()
    return undefined
  } catch (err) {
    return err
  } finally {
    await app.close()
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
  ['typoBase', { typoBase: 'https://x/' }, /a known option/]
]

t.test('every bad option is refused at registration, naming the option', async (t) => {
  for (const [name, options, expected] of bad) {
    const err = await register(options)
    if (!t.ok(err instanceof OptionError, `${JSON.stringify(options)} is refused`)) continue
    t.match(err, { code: 'FST_PROBLEM_DETAILS_OPTION', name: 'OptionError' })
    t.match((err as Error).message, `option "${name}" must be`, `the error names ${name}`)
    if (expected !== undefined) t.match((err as Error).message, expected, 'and says what it accepts')
  }
})

t.test('the options object itself must be an object', async (t) => {
  t.throws(() => normalizeOptions([]), { name: 'OptionError', message: /option "options" must be an object/ })
  t.throws(() => normalizeOptions('x'), OptionError)
})

t.test('the error says what it got without echoing objects', async (t) => {
  t.match((await register({ instance: () => 'x', validationStatus: [422] }) as Error).message, '(got an array)')
  t.match((await register({ compat: {} }) as Error).message, '(got an object)')
  t.match((await register({ compat: () => 1 }) as Error).message, '(got a function)')
  t.match((await register({ requestIdMember: 'x y' }) as Error).message, '(got "x y")')
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
    t.equal(await register(options), undefined, `${JSON.stringify(options)} is accepted`)
  }
})

t.test('normalized settings', async (t) => {
  const settings = normalizeOptions({ typeBase: 'https://api.example.com/problems', presets: ['postgres', 'postgres'], logLevels: { 404: 'warn', '5xx': 'fatal' } })
  t.equal(settings.typeBase, 'https://api.example.com/problems/', 'a base without a trailing slash gets one (RFC 3986 §5.2.3)')
  t.same(settings.presets, ['postgres'], 'duplicates removed')
  t.equal(settings.logLevels[404 - 400], 'warn')
  t.equal(settings.logLevels[429 - 400], 'warn')
  t.equal(settings.logLevels[400 - 400], 'info')
  t.equal(settings.logLevels[503 - 400], 'fatal')
  const defaults = normalizeOptions(undefined)
  t.equal(defaults.requestIdMember, 'requestId')
  t.equal(defaults.instance, 'path')
  t.equal(defaults.validationStatus, 400)
  t.equal(defaults.exposeDetails, false)
  t.equal(defaults.compat, false)
  t.equal(defaults.typeBase, undefined)
  t.equal(defaults.logLevels[599 - 400], 'error')
})
