// The serializer writes strings without JSON.stringify when they need no
// escaping (docs/benchmarks.md). Whatever path a string takes, the client must
// read back exactly the string the server meant, short or long.
import { test } from 'tap'
import fc from 'fast-check'
import { NotFound, ProblemError } from '../lib/index.js'
import { build } from './helpers.js'

const awkward = [
  'plain',
  'a "quoted" word',
  'back\\slash',
  'tab\there, newline\nthere, NUL\u0000, unit separator\u001f',
  'DEL \u007f and U+2028 \u2028 pass through',
  'lone high \ud800 and lone low \udc00 surrogates',
  'a pair 😀 stays a pair',
  'Grüße, 日本語'
]
// Each also past the length where the check switches from a loop to a regex.
const strings = [...awkward, ...awkward.map((s) => s + ' '.repeat(80) + s)]

test('every string member reads back exactly, whichever serializer path it takes', async (t) => {
  const app = await build(t)
  const pick = (request: { query: unknown }): string => strings[Number((request.query as { i: string }).i)]
  app.get('/helper', async (request, reply) => reply.notFound(pick(request), { note: pick(request) }))
  app.get('/thrown', async (request) => {
    const s = pick(request)
    throw new ProblemError({ status: 409, type: 'https://example.com/problems/x', title: s, detail: s, extensions: { tags: [s] } })
  })
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i]
    const helper = await app.inject({ url: `/helper?i=${i}` })
    t.equal(helper.statusCode, 404)
    const h = helper.json()
    t.equal(h.detail, s, `detail of string ${i}`)
    t.equal(h.note, s, `string extension member of string ${i}`)
    t.ok(helper.body.includes('"detail":' + JSON.stringify(s)), `string ${i} is escaped as JSON.stringify escapes it`)

    const thrown = await app.inject({ url: `/thrown?i=${i}` })
    const p = thrown.json()
    t.equal(p.title, s, `title of string ${i}`)
    t.equal(p.detail, s, `detail of string ${i}`)
    t.same(p.tags, [s], `array extension member of string ${i}`)
  }
})

test('a plain status problem and a titled one both start with the standard members in order', async (t) => {
  const app = await build(t)
  app.get('/plain', async () => { throw new NotFound('gone') })
  app.get('/titled', async () => { throw new ProblemError({ status: 404, title: 'No such user' }) })
  const plain = await app.inject({ url: '/plain' })
  t.match(plain.body, /^\{"type":"about:blank","title":"Not Found","status":404,"detail":"gone",/)
  const titled = await app.inject({ url: '/titled' })
  t.match(titled.body, /^\{"type":"about:blank","title":"No such user","status":404,/)
})

/**
 * Any code points, lone surrogates included: what `fc.string({ unit: 'binary' })`
 * generates, without the 1.1-million-entry reverse map fast-check builds for
 * that unit (most of this file's CPU time).
 */
const codePoints = fc.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 160 }).map((points) => String.fromCodePoint(...points))

test('arbitrary strings read back exactly (property)', async (t) => {
  const app = await build(t)
  let current = ''
  app.get('/p', async (request, reply) => reply.conflict(current, { echo: current }))
  await fc.assert(fc.asyncProperty(codePoints, async (s) => {
    current = s
    const res = await app.inject({ url: '/p' })
    const body = res.json()
    return body.detail === s && body.echo === s && res.body.includes('"detail":' + JSON.stringify(s))
  }), { numRuns: 150 })
  t.pass('150 strings read back exactly')
})
