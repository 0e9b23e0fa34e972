import t, { type Test } from 'tap'
import fc from 'fast-check'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import type { FastifyInstance } from 'fastify'
import { build, type Teardown } from './helpers.js'
import { ProblemError } from '../lib/index.js'

const ACCEPT_XML = { accept: 'application/problem+xml' }
const STANDARD = ['type', 'title', 'detail', 'status', 'instance']

type Node = Record<string, unknown> & { ':@'?: Record<string, string>, '#text'?: unknown }
const ordered = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, trimValues: false, processEntities: true })
const plain = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: (name) => name === 'i' })

function nameOf (node: Node): string {
  return Object.keys(node).find((k) => k !== ':@') as string
}

/**
 * The rules of the RFC 9457 Appendix B schema (RELAX NG), checked on a parsed
 * document: root `problem` in `urn:ietf:rfc:7807`; each standard member at most
 * once, with text content, `status` a positive integer; everything else
 * elements (in the default namespace, so in ns:*) or text inside them; no text
 * directly under `problem`; no other namespace declared.
 */
function checkAppendixB (t: Test, xml: string): void {
  t.equal(XMLValidator.validate(xml), true, 'well-formed XML')
  const doc = ordered.parse(xml) as Node[]
  const roots = doc.filter((n) => nameOf(n) !== '?xml')
  t.equal(roots.length, 1, 'one root element')
  const root = roots[0]
  t.equal(nameOf(root), 'problem', 'root is problem')
  t.same(root[':@'], { xmlns: 'urn:ietf:rfc:7807' }, 'in the urn:ietf:rfc:7807 namespace, no other attribute')
  const children = root.problem as Node[]
  const seen = new Set<string>()
  for (const child of children) {
    const name = nameOf(child)
    t.not(name, '#text', 'no text directly under problem')
    t.notOk(name.includes(':'), 'no prefixed (other-namespace) element')
    t.notOk(child[':@'], 'no attributes on members')
    if (STANDARD.includes(name)) {
      t.notOk(seen.has(name), `${name} at most once`)
      seen.add(name)
      const content = child[name] as Node[]
      t.ok(content.every((c) => nameOf(c) === '#text'), `${name} has text content only`)
      if (name === 'status') t.match(String(content[0]['#text']), /^[1-9]\d*$/, 'status is a positive integer')
    }
  }
}

interface Standard { type?: string, title?: string, detail?: string, instance?: string }

/**
 * One app for the file: `xmlOf(extensions, standard)` throws a 403 problem
 * with those members from a route and reads its XML body. The extension
 * members are copied onto the thrown problem by descriptor, so getters that
 * throw and cycles reach the serializer as they are.
 */
async function xmlServer (t: Teardown): Promise<(extensions: Record<string, unknown>, standard?: Standard) => Promise<string>> {
  const app: FastifyInstance = await build(t, {}, { genReqId: () => 'req-1' })
  let extensions: Record<string, unknown> = {}
  let standard: Standard = {}
  app.get('/account/12345/msgs/abc', async () => {
    const problem = new ProblemError({
      status: 403,
      type: 'https://example.com/probs/out-of-credit',
      title: 'You do not have enough credit.',
      detail: 'Your current balance is 30, but that costs 50.',
      ...standard
    })
    Object.defineProperties(problem.extensions, Object.getOwnPropertyDescriptors(extensions))
    throw problem
  })
  return async (members, more = {}) => {
    extensions = members
    standard = more
    const res = await app.inject({ url: '/account/12345/msgs/abc', headers: ACCEPT_XML })
    if (res.statusCode !== 403 || res.headers['content-type'] !== 'application/problem+xml') {
      throw new Error(`not an XML 403 problem: ${res.statusCode} ${res.headers['content-type']} ${res.body.slice(0, 200)}`)
    }
    return res.body
  }
}

t.test('the Appendix B example', async (t) => {
  const xmlOf = await xmlServer(t)
  const xml = await xmlOf({ balance: 30, accounts: ['/account/12345', '/account/67890'] })
  checkAppendixB(t, xml)
  t.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<problem xmlns="urn:ietf:rfc:7807">'))
  const doc = plain.parse(xml).problem
  t.equal(doc.type, 'https://example.com/probs/out-of-credit')
  t.equal(doc.title, 'You do not have enough credit.')
  t.equal(doc.status, '403')
  t.equal(doc.detail, 'Your current balance is 30, but that costs 50.')
  t.equal(doc.instance, '/account/12345/msgs/abc')
  t.equal(doc.requestId, 'req-1')
  t.equal(doc.balance, '30')
  t.same(doc.accounts.i, ['/account/12345', '/account/67890'], 'arrays as <i> children')
})

t.test('nested objects, arrays of objects, scalars and null', async (t) => {
  const xmlOf = await xmlServer(t)
  const xml = await xmlOf({
    errors: [{ detail: 'must be a positive integer', pointer: '#/age' }, { detail: 'must be "green", "red" or "blue"', pointer: '#/profile/color' }],
    limits: { daily: 10, nested: { deep: [1, [2, 3]] } },
    flag: true,
    off: false,
    ratio: 0.5,
    nothing: null,
    empty: [],
    big: 12345678901234567890n,
    when: new Date('2020-01-02T03:04:05.000Z')
  })
  checkAppendixB(t, xml)
  t.match(xml, '<errors><i><detail>must be a positive integer</detail><pointer>#/age</pointer></i><i><detail>must be "green", "red" or "blue"</detail><pointer>#/profile/color</pointer></i></errors>')
  t.match(xml, '<limits><daily>10</daily><nested><deep><i>1</i><i><i>2</i><i>3</i></i></deep></nested></limits>')
  t.match(xml, '<flag>true</flag><off>false</off><ratio>0.5</ratio><nothing></nothing><empty></empty>')
  t.match(xml, '<big>12345678901234567890</big>', 'BigInt as its decimal digits, as in JSON')
  t.match(xml, '<when>2020-01-02T03:04:05.000Z</when>', 'toJSON honoured, as in JSON')
})

t.test('everything is escaped; characters XML cannot carry are replaced', async (t) => {
  const xmlOf = await xmlServer(t)
  const nasty = '</detail><x>&amp; "quoted" \'single\' ]]> <![CDATA[x]]> <!-- c --> <?pi?>'
  const xml = await xmlOf({ note: nasty, list: [nasty], obj: { inner: nasty } }, {
    title: nasty, detail: 'a\u0000b\u0008c\u000Bd\u001Fe\uFFFEf\uD800g', instance: '/x?a=1&b=<2>', type: 'https://x/?a&b'
  })
  checkAppendixB(t, xml)
  const doc = plain.parse(xml).problem
  t.equal(doc.title, nasty, 'markup in text comes back as text')
  t.equal(doc.note, nasty)
  t.same(doc.list.i, [nasty])
  t.equal(doc.obj.inner, nasty)
  t.equal(doc.instance, '/x?a=1&b=%3C2%3E', 'a URI reference: < and > percent-encoded, & escaped')
  t.equal(doc.type, 'https://x/?a&b')
  t.equal(doc.detail, 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFDg', 'control characters, U+FFFE and lone surrogates become U+FFFD')
  t.match(await xmlOf({}, { detail: 'line\r\nbreak' }), '<detail>line&#13;\nbreak</detail>', 'CR survives line-end normalisation')
  t.match(await xmlOf({}, { detail: 'emoji 😀 kept' }), '<detail>emoji 😀 kept</detail>', 'astral characters pass')
})

t.test('extension names that are not XML names are left out at run time', async (t) => {
  const xmlOf = await xmlServer(t)
  const extensions: Record<string, unknown> = {
    'bad name': 1,
    '1starts-with-digit': 2,
    'pre:fixed': 3,
    xmlReserved: 4,
    XMLthing: 5,
    '': 6,
    '<tag>': 7,
    good_name: 'kept',
    'dotted.name-ok': 'kept',
    ünïcödé: 'kept',
    nested: { 'bad key': 1, fine: 2 }
  }
  const xml = await xmlOf(extensions)
  checkAppendixB(t, xml)
  const doc = plain.parse(xml).problem
  t.same(Object.keys(doc).filter((k) => !STANDARD.includes(k) && k !== 'requestId' && k !== '@xmlns').sort(), ['dotted.name-ok', 'good_name', 'nested', 'ünïcödé'])
  t.same(doc.nested, { fine: '2' })
  const names = Object.keys(plain.parse(await xmlOf({ a: 1, '_x-1.2': 2, '-x': 3, 'a b': 4, xmlns: 5 })).problem)
  t.ok(names.includes('a'))
  t.ok(names.includes('_x-1.2'))
  t.notOk(names.includes('-x'))
  t.notOk(names.includes('a b'))
  t.notOk(names.includes('xmlns'), 'xmlns is reserved')
})

t.test('unserializable values never break the document', async (t) => {
  const xmlOf = await xmlServer(t)
  const cyclic: Record<string, unknown> = { name: 'loop' }
  cyclic.self = cyclic
  const throwing = {}
  Object.defineProperty(throwing, 'boom', { enumerable: true, get () { throw new Error('getter') } })
  const extensions: Record<string, unknown> = { cyclic, throwing, fn: () => 1, sym: Symbol('s'), undef: undefined, after: 'ok' }
  Object.defineProperty(extensions, 'getter', { enumerable: true, get () { throw new Error('top getter') } })
  const xml = await xmlOf(extensions)
  checkAppendixB(t, xml)
  const doc = plain.parse(xml).problem
  t.equal(doc.after, 'ok')
  t.notOk('cyclic' in doc)
  t.notOk('throwing' in doc)
  t.notOk('fn' in doc)
  t.notOk('getter' in doc)
})

t.test('property: any extension members give a well-formed Appendix B document', async (t) => {
  const xmlOf = await xmlServer(t)
  const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('a', 'errors', 'xml', 'i', 'type', '__proto__', 'constructor'))
  await fc.assert(fc.asyncProperty(fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), fc.string({ maxLength: 20 }), async (extensions, detail) => {
    const xml = await xmlOf(extensions, { detail })
    return XMLValidator.validate(xml) === true && (plain.parse(xml).problem['@xmlns'] === 'urn:ietf:rfc:7807')
  }), { numRuns: 300 })
  t.pass('300 generated problems')
})

t.test('over HTTP: members and order match the JSON body; compat members included', async (t) => {
  const app = await build(t, { typeBase: 'https://api.example.com/problems/', compat: 'fastify' })
  app.get('/credit', async () => {
    throw new ProblemError({ status: 403, type: 'out-of-credit', title: 'You do not have enough credit', detail: 'Balance 20 < 30', extensions: { balance: 20, accounts: ['/a/1'], code: 'E_CREDIT' } })
  })
  const xmlRes = await app.inject({ url: '/credit', headers: ACCEPT_XML })
  const jsonRes = await app.inject({ url: '/credit' })
  t.equal(xmlRes.statusCode, 403)
  t.equal(xmlRes.headers['content-type'], 'application/problem+xml')
  checkAppendixB(t, xmlRes.body)
  const xmlOrder = (ordered.parse(xmlRes.body) as Node[]).filter((n) => nameOf(n) === 'problem').flatMap((n) => (n.problem as Node[]).map(nameOf))
  t.same(xmlOrder, Object.keys(jsonRes.json()), 'the same members in the same order as JSON')
  const doc = plain.parse(xmlRes.body).problem
  t.equal(doc.type, 'https://api.example.com/problems/out-of-credit', 'type resolved against typeBase')
  t.equal(doc.statusCode, '403')
  t.equal(doc.error, 'Forbidden')
  t.equal(doc.message, 'Balance 20 < 30')
  t.equal(doc.code, 'E_CREDIT')
})
