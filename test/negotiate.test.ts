import t from 'tap'
import fc from 'fast-check'
import { request } from 'undici'
import { build } from './helpers.js'
import { NotFound } from '../lib/index.js'
// The header parser and the ranking are pure functions with a rule set
// (docs/negotiation.md) whose specification is a property over thousands of
// generated headers: checked here directly, where a counterexample is a header
// and a format, not a response. The table and everything else go through HTTP.
import { JSON_FORMAT, PROBLEM_JSON, PROBLEM_XML, negotiate, negotiateUncached, parseWeightedList, type Format } from '../lib/response/negotiate.js'

const PJ = PROBLEM_JSON
const J = JSON_FORMAT
const X = PROBLEM_XML
const NAMES = ['problem+json', 'json', 'problem+xml']
/** The Content-Type each format is sent with. */
const CONTENT_TYPES = ['application/problem+json', 'application/json', 'application/problem+xml']

/** The negotiation table as implemented (docs/negotiation.md has the same rows). */
const TABLE: Array<[string | undefined, Format]> = [
  [undefined, PJ],
  ['', PJ],
  ['*/*', PJ],
  ['application/*', PJ],
  ['application/problem+json', PJ],
  ['application/json', PJ],
  ['application/json, text/plain, */*', PJ],
  ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', PJ],
  ['text/html', PJ],
  ['application/xml', PJ],
  ['application/problem+json;q=0', PJ],
  ['application/json;q=0', PJ],
  ['application/json, application/problem+json;q=0', J],
  ['*/*, application/problem+json;q=0', J],
  ['application/*, application/problem+json;q=0', J],
  ['application/problem+json;q=0.5, application/json', J],
  ['application/json; charset=utf-8, application/problem+json; q=0', J],
  ['application/problem+xml', X],
  ['APPLICATION/PROBLEM+XML', X],
  ['application/problem+xml; charset=UTF-8', X],
  ['application/problem+xml; charset="utf-8"', X],
  ['application/problem+xml, */*;q=0.1', X],
  ['application/problem+json;q=0.9, application/problem+xml', X],
  ['application/problem+xml, application/problem+json', PJ],
  ['application/problem+xml;q=0.5, application/json', PJ],
  ['application/problem+xml;q=0.5, application/json, application/problem+json;q=0', J],
  ['application/*, application/problem+json;q=0, application/json;q=0', X],
  ['application/problem+xml; charset=iso-8859-1', PJ],
  ['application/problem+xml; profile=x', PJ],
  ['application/problem+xml;q=abc', PJ],
  ['application/problem+xml;q=1.5', PJ],
  ['application/problem+xml;q=-1', PJ],
  ['application/problem+xml;q=0.0001', PJ],
  ['application/problem+xml;q=1.000', X],
  ['application/problem+xml;q=0.001', X],
  ['application/problem+xml;q=1.', X],
  ['application/problem+xml;q=0.', PJ],
  ['application/problem+xml; q=0.8; level=1', X],
  ['application/problem+xml; charset="utf-8,application/json"', PJ],
  ['application/problem+xml; foo="a,b;q=0", application/json, application/problem+json;q=0', J],
  ['application/problem+xml; foo="a,b;q=0", application/json;q=0.5', PJ],
  ['application/problem+xml; foo="unterminated', PJ],
  ['*/problem+xml', PJ],
  ['application/problem+xml/extra', PJ],
  ['problem+xml', PJ],
  [',,, ,application/problem+xml,,', X],
  ['\tapplication/problem+xml\t;\tq=1', X],
  ['application/json;q=0, application/json', PJ],
  ['application/problem+json, application/problem+json;q=0', PJ],
  ['application/json, application/problem+json;q=0, application/problem+xml;q=0.5', J],
  ['application/problem+xml;q=0, */*', PJ]
]

t.test('the negotiation table, as the Content-Type of a 404 answers it', async (t) => {
  const app = await build(t)
  app.get('/missing', async () => { throw new NotFound('No such thing') })
  for (const [accept, expected] of TABLE) {
    // Twice: the second answer comes from the cache and must be the same.
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ url: '/missing', headers: accept === undefined ? {} : { accept } })
      t.equal(res.headers['content-type'], CONTENT_TYPES[expected], `${JSON.stringify(accept)} → ${NAMES[expected]}`)
    }
  }
})

t.test('parseWeightedList', async (t) => {
  t.same(parseWeightedList('a/b;q=0.5, c/d'), [{ value: 'a/b', params: undefined, q: 0.5 }, { value: 'c/d', params: undefined, q: 1 }])
  t.same(parseWeightedList('A/B; Charset="UTF-8"; Q=0.2'), [{ value: 'a/b', params: [['charset', 'UTF-8']], q: 0.2 }], 'case of names, not of values')
  t.same(parseWeightedList('a/b; x="q\\"u,o;te"'), [{ value: 'a/b', params: [['x', 'q"u,o;te']], q: 1 }], 'quoted-pair and delimiters inside quotes')
  t.same(parseWeightedList('a/b;q=0.5;ext=1'), [{ value: 'a/b', params: undefined, q: 0.5 }], 'parameters after the weight are ignored')
  t.same(parseWeightedList('a/b;q=0.5;q=1'), [{ value: 'a/b', params: undefined, q: 0.5 }], 'the first weight counts')
  t.same(parseWeightedList('a/b;q=x, c/d'), [{ value: 'c/d', params: undefined, q: 1 }], 'a malformed element is dropped alone')
  t.same(parseWeightedList('a/b; x="open, c/d'), [], 'an unterminated quote runs to the end')
  t.same(parseWeightedList('a/b; x="v"junk, c/d'), [{ value: 'c/d', params: undefined, q: 1 }], 'junk after a quoted string')
  t.same(parseWeightedList(';q=1, ,;, de'), [{ value: 'de', params: undefined, q: 1 }], 'empty elements')
  t.same(parseWeightedList('a/b;;=;x'), [{ value: 'a/b', params: [['x', '']], q: 1 }], 'empty parameters')
})

t.test('q-values read without strings are the numbers of their text', async (t) => {
  const valid = ['0', '1', '0.', '1.', '1.0', '1.00', '1.000', '0.0']
  for (let i = 0; i < 1000; i++) valid.push('0.' + String(i).padStart(3, '0'), '0.' + String(i))
  let wrong = 0
  for (const text of valid) {
    for (const written of [`de;q=${text}`, `de;Q=${text} `, `de; q=\t${text}\t, en`]) {
      if (parseWeightedList(written)[0]?.q !== Number(text)) wrong++
    }
  }
  t.equal(wrong, 0, `${valid.length} q-values`)
  for (const text of ['', '2', '1.5', '1.0001', '0.1234', '.5', '00', '0.a', '-0', '1e0', '0x1']) {
    t.same(parseWeightedList(`de;q=${text}, en`).map((e) => e.value), ['en'], `q=${text} is refused`)
  }
  t.same(parseWeightedList('de;q="0.5"'), [{ value: 'de', params: undefined, q: 0.5 }], 'a quoted q-value')
  t.same(parseWeightedList('de;q =0.5'), [{ value: 'de', params: undefined, q: 0.5 }], 'space before the equals sign')
})

/** The rules of docs/negotiation.md written plainly over structured ranges: the oracle. */
interface Range { type: string, subtype: string, q: number | undefined, charset: boolean }
function oracle (ranges: Range[]): Format {
  const subtypes = ['problem+json', 'json', 'problem+xml']
  const best = subtypes.map((subtype, f) => {
    let spec = -1
    let q = 0
    for (const r of ranges) {
      let base = -1
      if (r.type === '*' && r.subtype === '*') base = 0
      else if (r.type === 'application' && r.subtype === '*') base = 1
      else if (r.type === 'application' && r.subtype === subtype) base = 3
      else if (f === 0 && r.type === 'application' && r.subtype === 'json') base = 2
      if (base === -1) continue
      const s = base * 2 + (r.charset ? 1 : 0)
      const rq = r.q ?? 1
      if (s > spec || (s === spec && rq > q)) {
        spec = s
        q = rq
      }
    }
    return q
  })
  let format: Format = PJ
  if (best[1] > best[format]) format = J
  if (best[2] > best[format]) format = X
  return format
}

t.test('property: the parser and the ranking agree with the rules for any list', async (t) => {
  const range = fc.record({
    type: fc.constantFrom('*', 'application', 'text'),
    subtype: fc.constantFrom('*', 'json', 'problem+json', 'problem+xml', 'xml', 'html'),
    q: fc.option(fc.constantFrom(0, 0.001, 0.1, 0.5, 0.9, 1), { nil: undefined }),
    charset: fc.boolean()
  }).filter((r) => !(r.type === '*' && r.subtype !== '*'))
  const noise = fc.constantFrom('', ' ', '\t', '  ')
  const caps = fc.boolean()
  fc.assert(fc.property(fc.array(fc.tuple(range, noise, caps), { maxLength: 6 }), (list) => {
    const header = list.map(([r, ws, upper]) => {
      let text = `${r.type}/${r.subtype}`
      if (upper) text = text.toUpperCase()
      if (r.charset) text += `${ws};${ws}charset=${upper ? 'UTF-8' : '"utf-8"'}`
      if (r.q !== undefined) text += `${ws};${ws}q=${r.q}`
      return ws + text + ws
    }).join(',')
    const expected = header === '' ? PJ : oracle(list.map(([r]) => r))
    return negotiateUncached(header) === expected
  }), { numRuns: 2000 })
  t.pass('2000 generated Accept headers')
})

t.test('property: any header gives a format and never throws', async (t) => {
  fc.assert(fc.property(fc.string({ maxLength: 80 }), (header) => {
    const format = negotiate(header)
    return format === PJ || format === J || format === X
  }), { numRuns: 2000 })
  t.pass()
})

t.test('past the bound of the negotiation cache, and for long headers, answers stay right', async (t) => {
  const app = await build(t)
  app.get('/missing', async () => { throw new NotFound('No such thing') })
  const formatOf = async (accept: string): Promise<string | undefined> => (await app.inject({ url: '/missing', headers: { accept } })).headers['content-type'] as string | undefined
  let wrong = 0
  for (let i = 0; i < 700; i++) {
    if (await formatOf(`application/problem+xml;q=0.${(i % 9) + 1}, application/x-${i}`) !== CONTENT_TYPES[X]) wrong++
  }
  t.equal(wrong, 0, '700 distinct headers, more than the cache holds, all answered right')
  t.equal(await formatOf('application/json, application/problem+json;q=0, application/x-fresh'), CONTENT_TYPES[J])
  const long = 'application/problem+xml, ' + 'text/x-long;q=0.1, '.repeat(30)
  t.equal(await formatOf(long), CONTENT_TYPES[X], 'long headers are negotiated')
  t.equal(await formatOf(long), CONTENT_TYPES[X])
})

t.test('over HTTP: content type, Vary and status for each format; never a 406', async (t) => {
  const app = await build(t)
  app.get('/missing', async () => { throw new NotFound('No such thing') })
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'application/problem+json'],
    ['application/json, application/problem+json;q=0', 'application/json'],
    ['application/problem+xml', 'application/problem+xml'],
    ['image/png', 'application/problem+json']
  ]
  for (const [accept, contentType] of cases) {
    const res = await app.inject({ url: '/missing', headers: accept === undefined ? {} : { accept } })
    t.equal(res.statusCode, 404, `${accept}: status kept`)
    t.equal(res.headers['content-type'], contentType, `${accept}: ${contentType}`)
    t.equal(res.headers.vary, 'Accept')
    if (contentType.includes('json')) t.equal(res.json().detail, 'No such thing')
    else t.match(res.body, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<problem xmlns="urn:ietf:rfc:7807">/)
  }
  // An unknown route (the not-found handler) negotiates too.
  const res = await app.inject({ url: '/nope', headers: { accept: 'application/problem+xml' } })
  t.equal(res.statusCode, 404)
  t.equal(res.headers['content-type'], 'application/problem+xml')
})

t.test('Vary is added to, not replaced', async (t) => {
  const app = await build(t)
  app.get('/x', async (_req, reply) => reply.header('vary', 'Origin').notFound())
  app.get('/star', async (_req, reply) => reply.header('vary', '*').notFound())
  const res = await app.inject('/x')
  t.equal(res.headers.vary, 'Origin, Accept')
  t.equal((await app.inject('/star')).headers.vary, '*')
})

t.test('a real client over a listening server', async (t) => {
  const app = await build(t)
  app.get('/missing', async (_req, reply) => reply.notFound('gone fishing'))
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const url = `http://127.0.0.1:${port}/missing`

  const xml = await request(url, { headers: { accept: 'application/problem+xml' } })
  t.equal(xml.statusCode, 404)
  t.equal(xml.headers['content-type'], 'application/problem+xml')
  t.match(await xml.body.text(), '<detail>gone fishing</detail>')

  const json = await fetch(url, { headers: { accept: 'application/json;q=0.9, application/problem+json;q=0' } })
  t.equal(json.headers.get('content-type'), 'application/json')
  t.equal((await json.json() as { detail: string }).detail, 'gone fishing')

  // fetch's default Accept is */*.
  const plain = await fetch(url)
  t.equal(plain.headers.get('content-type'), 'application/problem+json')
  t.equal(plain.headers.get('vary'), 'Accept')
  await plain.arrayBuffer()
})
