import http from 'node:http'
import type net from 'node:net'
import t from 'tap'
import { request } from 'undici'
import type { Teardown } from './helpers.js'
import { Type } from '@sinclair/typebox'
import {
  Forbidden, InternalServerError, NotFound, ProblemError, ServiceUnavailable, defineProblem, parseProblem
} from '../lib/index.js'

// parseProblem pointed at a server that lies, floods and stalls: a real
// node:http server on 127.0.0.1, read with global fetch and undici request().

const TYPE_BASE = 'https://api.example.com/problems/'
const HostileCredit = defineProblem({
  type: 'hostile-out-of-credit',
  status: 403,
  title: 'You do not have enough credit',
  extensions: Type.Object({ balance: Type.Number(), accounts: Type.Array(Type.String()) })
})

const CHUNK = Buffer.alloc(64 * 1024, 0x20)
const MiB = 1024 * 1024

interface Route { status: number, headers?: Record<string, string>, body?: string }

async function hostileServer (t: Teardown) {
  const routes = new Map<string, Route>()
  const sent = { streamed: 0, streamClosed: false }
  const sockets = new Set<net.Socket>()
  const server = http.createServer((req, res) => {
    if (req.url === '/stream-256mb') {
      // 256 MB of JSON-looking bytes, written as fast as the client takes them.
      res.writeHead(500, { 'content-type': 'application/problem+json' })
      res.write('{"title":"')
      const total = 256 * MiB
      const pump = () => {
        while (sent.streamed < total) {
          sent.streamed += CHUNK.length
          if (!res.write(CHUNK)) return
        }
        res.end('"}')
      }
      res.on('drain', pump)
      res.on('close', () => { sent.streamClosed = true })
      pump()
      return
    }
    if (req.url === '/length-5gb') {
      // Claims 5 GB and then stalls: waiting for the body would never end.
      res.writeHead(500, { 'content-type': 'application/problem+json', 'content-length': String(5 * 1024 * MiB) })
      res.write('{"title":')
      return
    }
    const route = routes.get(req.url ?? '')
    if (route === undefined) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(route.status, { 'content-type': 'application/problem+json', ...route.headers })
    res.end(route.body ?? '')
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  const { port } = server.address() as net.AddressInfo
  return { url: `http://127.0.0.1:${port}`, routes, sent }
}

const clients = {
  fetch: async (url: string) => await parseProblem(await fetch(url), { typeBase: TYPE_BASE }),
  undici: async (url: string) => await parseProblem(await request(url), { typeBase: TYPE_BASE })
}

for (const [name, read] of Object.entries(clients)) {
  t.test(`${name}: a 256 MB streamed body rejects quickly, having read about 1 MiB`, async (t) => {
    const { url, sent } = await hostileServer(t)
    const before = process.memoryUsage()
    const started = performance.now()
    await t.rejects(read(url + '/stream-256mb'), { name: 'RangeError', message: /over maxBodyBytes \(1048576 bytes\)/ })
    const elapsed = performance.now() - started
    const after = process.memoryUsage()
    t.ok(elapsed < 3000, `rejected in ${Math.round(elapsed)} ms`)
    // The server stops being read: what it managed to write is the cap plus socket buffers.
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.ok(sent.streamClosed, 'the connection was closed by the client')
    t.ok(sent.streamed < 32 * MiB, `the server wrote ${(sent.streamed / MiB).toFixed(1)} MiB of 256`)
    const grown = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / MiB
    t.ok(grown < 64, `memory grew by ${grown.toFixed(1)} MiB`)
  })

  t.test(`${name}: a 5 GB Content-Length rejects without waiting for the body`, async (t) => {
    const { url } = await hostileServer(t)
    const started = performance.now()
    await t.rejects(read(url + '/length-5gb'), { name: 'RangeError', message: /5368709120 bytes \(Content-Length\)/ })
    t.ok(performance.now() - started < 1000, 'at once, though the server never sends the rest')
  })

  t.test(`${name}: maxBodyBytes is an option`, async (t) => {
    const { url, routes } = await hostileServer(t)
    routes.set('/small', { status: 404, body: JSON.stringify({ title: 'Not Found', detail: 'x'.repeat(2000) }) })
    await t.rejects(parseProblem(name === 'fetch' ? await fetch(url + '/small') : await request(url + '/small'), { maxBodyBytes: 1000 }),
      { name: 'RangeError', message: /maxBodyBytes \(1000 bytes\)/ })
    const fine = await parseProblem(name === 'fetch' ? await fetch(url + '/small') : await request(url + '/small'), { maxBodyBytes: 4000 })
    t.ok(fine instanceof NotFound)
    t.equal(fine?.detail?.length, 2000)
    await t.rejects(parseProblem(await fetch(url + '/small'), { maxBodyBytes: -1 }), TypeError)
  })

  t.test(`${name}: the HTTP status is authoritative`, async (t) => {
    const { url, routes } = await hostileServer(t)
    routes.set('/body-200', { status: 500, body: JSON.stringify({ status: 200, title: 'All fine', detail: 'Nothing happened' }) })
    routes.set('/body-404', { status: 503, body: JSON.stringify({ status: 404, title: 'Not Found' }) })
    const lied = await read(url + '/body-200')
    t.ok(lied instanceof InternalServerError, 'the status class of the HTTP status')
    t.equal(lied?.status, 500)
    t.equal(lied?.detail, 'Nothing happened')
    const other = await read(url + '/body-404')
    t.ok(other instanceof ServiceUnavailable)
    t.equal(other?.status, 503)
  })

  t.test(`${name}: a defined type's class only when its members match the schema`, async (t) => {
    const { url, routes } = await hostileServer(t)
    const type = TYPE_BASE + 'hostile-out-of-credit'
    routes.set('/match', { status: 403, body: JSON.stringify({ type, title: 'x', status: 403, balance: 20, accounts: ['/a/1'] }) })
    routes.set('/contradict', { status: 403, body: JSON.stringify({ type, title: 'Credit?', status: 403, balance: 'lots', accounts: 7 }) })
    routes.set('/missing-member', { status: 403, body: JSON.stringify({ type, title: 'Credit?', status: 403, accounts: [] }) })
    routes.set('/other-status', { status: 402, body: JSON.stringify({ type, title: 'Credit?', status: 403, balance: 20, accounts: [] }) })

    const matched = await read(url + '/match')
    t.ok(matched instanceof HostileCredit)
    t.equal(matched?.title, 'You do not have enough credit', 'the definition\'s title')

    for (const path of ['/contradict', '/missing-member']) {
      const problem = await read(url + path)
      t.notOk(problem instanceof HostileCredit, `${path}: not the defined class`)
      t.equal(problem?.constructor, ProblemError, `${path}: a plain ProblemError`)
      t.equal(problem?.type, type)
      t.equal(problem?.title, 'Credit?')
      t.equal(problem?.status, 403)
    }
    const contradicting = await read(url + '/contradict')
    t.same(contradicting?.extensions, { balance: 'lots', accounts: 7 }, 'carrying the members as sent')

    const otherStatus = await read(url + '/other-status')
    t.notOk(otherStatus instanceof HostileCredit, 'a status other than the definition\'s is no instance of it')
    t.equal(otherStatus?.status, 402)
  })

  t.test(`${name}: a response that is not an error gives undefined, its body unread`, async (t) => {
    const { url, routes } = await hostileServer(t)
    const resource = JSON.stringify({ status: 500, title: 'A field called title', id: 7 })
    routes.set('/resource', { status: 200, headers: { 'content-type': 'application/json' }, body: resource })
    routes.set('/redirect', { status: 304, body: '' })
    if (name === 'fetch') {
      const res = await fetch(url + '/resource')
      t.equal(await parseProblem(res), undefined)
      t.same(await res.json(), JSON.parse(resource), 'the caller can still read the resource')
    } else {
      const res = await request(url + '/resource')
      t.equal(await parseProblem(res), undefined)
      t.same(await res.body.json(), JSON.parse(resource), 'the caller can still read the resource')
    }
    t.equal(await read(url + '/redirect'), undefined)
  })

  t.test(`${name}: application/problem+xml bodies`, async (t) => {
    const { url, routes } = await hostileServer(t)
    const xml = { 'content-type': 'application/problem+xml' }
    routes.set('/xml-credit', {
      status: 403,
      headers: xml,
      body: '<?xml version="1.0" encoding="UTF-8"?>\n<problem xmlns="urn:ietf:rfc:7807">' +
        `<type>${TYPE_BASE}hostile-out-of-credit</type><title>You do not have enough credit</title><status>403</status>` +
        '<detail>Balance &lt; cost &amp; more &#x263A;</detail><instance>/account/12345/msgs/abc</instance>' +
        '<balance>30</balance><accounts><i>/account/12345</i><i>/account/67890</i></accounts></problem>'
    })
    routes.set('/xml-blank', {
      status: 404,
      headers: xml,
      body: '<problem xmlns="urn:ietf:rfc:7807"><!-- c --><title>User missing</title><detail><![CDATA[a <b> c]]></detail>' +
        '<nested><a>1</a><b><i>x</i></b></nested><__proto__><polluted>yes</polluted></__proto__></problem>'
    })
    routes.set('/xml-contradict', {
      status: 403,
      headers: xml,
      body: `<problem xmlns="urn:ietf:rfc:7807"><type>${TYPE_BASE}hostile-out-of-credit</type><title>T</title><balance>lots</balance><accounts><i>a</i></accounts></problem>`
    })
    const refused = {
      '/xml-doctype': '<?xml version="1.0"?><!DOCTYPE problem [<!ENTITY x "boom">]><problem xmlns="urn:ietf:rfc:7807"><detail>&x;</detail></problem>',
      '/xml-namespace': '<problem xmlns="urn:example:other"><detail>wrong namespace</detail></problem>',
      '/xml-no-namespace': '<problem><detail>no namespace</detail></problem>',
      '/xml-attribute': '<problem xmlns="urn:ietf:rfc:7807"><detail xmlns="urn:x">moved</detail></problem>',
      '/xml-mismatch': '<problem xmlns="urn:ietf:rfc:7807"><detail>x</title></problem>',
      '/xml-deep': '<problem xmlns="urn:ietf:rfc:7807"><detail>x</detail>' + '<a>'.repeat(100) + '</a>'.repeat(100) + '</problem>',
      '/xml-pi': '<problem xmlns="urn:ietf:rfc:7807"><?evil?><detail>x</detail></problem>',
      '/xml-trailing': '<problem xmlns="urn:ietf:rfc:7807"><detail>x</detail></problem><more/>',
      '/xml-bare-amp': '<problem xmlns="urn:ietf:rfc:7807"><detail>a & b</detail></problem>',
      '/xml-duplicate': '<problem xmlns="urn:ietf:rfc:7807"><detail>a</detail><detail>b</detail></problem>'
    }
    for (const [path, body] of Object.entries(refused)) routes.set(path, { status: 400, headers: xml, body })

    const credit = await read(url + '/xml-credit')
    t.ok(credit instanceof HostileCredit, 'a defined type from XML, its text leaves read as the schema\'s types')
    t.equal(credit?.detail, 'Balance < cost & more \u263A')
    t.equal(credit?.instance, '/account/12345/msgs/abc')
    t.same(credit?.extensions, { balance: 30, accounts: ['/account/12345', '/account/67890'] })

    const blank = await read(url + '/xml-blank')
    t.ok(blank instanceof NotFound)
    t.equal(blank?.title, 'User missing')
    t.equal(blank?.detail, 'a <b> c')
    t.same(blank?.extensions.nested, { a: '1', b: ['x'] }, 'objects and <i> arrays')
    t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution')
    t.notOk(Object.prototype.hasOwnProperty.call(blank?.extensions, '__proto__'))

    const contradicting = await read(url + '/xml-contradict')
    t.equal(contradicting?.constructor, ProblemError, 'members that do not convert to the schema: a plain ProblemError')
    t.same(contradicting?.extensions, { balance: 'lots', accounts: ['a'] })

    for (const path of Object.keys(refused)) {
      const problem = await read(url + path)
      t.ok(problem instanceof ProblemError, `${path}: the status problem`)
      t.equal(problem?.status, 400)
      t.equal(problem?.detail, undefined, `${path}: nothing read from a body outside the format`)
    }
  })

  t.test(`${name}: Retry-After is bounded`, async (t) => {
    const { url, routes } = await hostileServer(t)
    const soon = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000)
    const cases: Array<[string, string | undefined]> = [
      ['30', '30'],
      ['0', '0'],
      ['99999999999999999999', '86400'],
      ['-5', undefined],
      ['1e+21', undefined],
      ['NaN', undefined],
      ['3.5', undefined],
      ['', undefined],
      ['Sat, 13 Sep 275760 00:00:00 GMT', undefined],
      ['Thu, 31 Feb 2026 10:00:00 GMT', undefined],
      ['Mon, 01 Dec 2026 10:00:00 GMT', undefined], // 1 Dec 2026 is a Tuesday
      ['Friday, 01-Jan-2100 00:00:00 GMT', undefined],
      ['2027-01-01T00:00:00Z', undefined],
      [soon.toUTCString(), soon.toUTCString()],
      [new Date(Date.now() + 30 * 86_400_000).toUTCString(), undefined]
    ]
    for (const [i, [value]] of cases.entries()) {
      routes.set(`/retry-${i}`, { status: 503, headers: { 'retry-after': value }, body: '{"title":"Busy"}' })
    }
    for (const [i, [value, expected]] of cases.entries()) {
      const problem = await read(url + `/retry-${i}`)
      t.ok(problem instanceof ServiceUnavailable)
      t.equal(problem?.headers?.['retry-after'], expected, `Retry-After ${JSON.stringify(value)} → ${String(expected)}`)
    }
  })

  t.test(`${name}: an error page that is no problem is not read`, async (t) => {
    const { url, routes } = await hostileServer(t)
    routes.set('/html', { status: 403, headers: { 'content-type': 'text/html' }, body: '<html>' + 'x'.repeat(2 * MiB) + '</html>' })
    const problem = await read(url + '/html')
    t.ok(problem instanceof Forbidden, 'a body over the cap in a format that is not read does not reject')
    t.equal(problem?.detail, undefined)
  })
}

t.test('inject results: the body is in memory, the cap still holds', async (t) => {
  const big = { statusCode: 404, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify({ title: 'Not Found', detail: 'é'.repeat(600) }) }
  await t.rejects(parseProblem(big, { maxBodyBytes: 1000 }), RangeError, '1200 bytes of UTF-8 over a 1000-byte cap')
  t.ok(await parseProblem(big, { maxBodyBytes: 1300 }) instanceof NotFound)
  const declared = { ...big, headers: { ...big.headers, 'content-length': 5 * 1024 * MiB } }
  await t.rejects(parseProblem(declared), { message: /Content-Length/ })
})

t.test('XML: the edges of the format', async (t) => {
  const xml = (body: string) => ({ statusCode: 400, headers: { 'content-type': 'application/problem+xml' }, body })
  const ns = 'xmlns="urn:ietf:rfc:7807"'
  const read = async (body: string) => await parseProblem(xml(body))

  const edges = await read(`\uFEFF<?xml version="1.0"?>\r\n<!-- before --><problem ${ns} xmlns:x="urn:other"><title>T</title>` +
    '<empty/><spaced ></spaced ><detail>line\r\nend &#65;&#x42;</detail></problem><!-- after -->\n')
  t.equal(edges?.title, 'T', 'a BOM, a declaration, comments around the root, a namespace declaration')
  t.equal(edges?.detail, 'line\nend AB', 'line ends normalised, character references')
  t.same(edges?.extensions, { empty: '', spaced: '' })
  t.equal((await read(`<problem ${ns}/>`))?.detail, undefined, 'an empty problem is the status problem')

  for (const body of [
    `<problem ${ns} lang="en"><detail>x</detail></problem>`,
    `<problem ${ns}><!-- open <detail>x</detail></problem>`,
    `<!-- open <problem ${ns}><detail>x</detail></problem>`,
    `<problem ${ns}><detail>&#x110000;</detail></problem>`,
    `<problem ${ns}><detail>&#xD800;</detail></problem>`,
    `<problem ${ns}><detail>&#1;</detail></problem>`,
    `<problem ${ns}><detail>\u0001</detail></problem>`,
    `<problem ${ns}><detail>&nbsp;</detail></problem>`,
    `<problem ${ns}><nested>text<a>1</a></nested><detail>x</detail></problem>`,
    `<problem ${ns}><detail><![CDATA[open</detail></problem>`,
    `<problem ${ns}><detail>never closed`,
    `<problem ${ns}><x:detail>prefixed</x:detail></problem>`,
    `<problem ${ns}>text at the root<detail>x</detail></problem>`,
    `<problemx ${ns}><detail>x</detail></problemx>`
  ]) {
    const problem = await read(body)
    t.equal(problem?.status, 400)
    t.equal(problem?.detail, undefined, `refused: ${body.slice(0, 60)}`)
  }
})

t.test('response shapes at the edges', async (t) => {
  const json = { 'content-type': 'application/problem+json' }
  const doc = '{"title":"T","detail":"d"}'

  // fetch Responses built by hand: no body, no content type, a locked body.
  t.equal((await parseProblem(new Response(null, { status: 503 })))?.status, 503)
  t.equal((await parseProblem(new Response(new TextEncoder().encode(doc), { status: 409 })))?.detail, 'd', 'no content type: tried as JSON')
  const locked = new Response(doc, { status: 400, headers: json })
  locked.body?.getReader()
  t.equal((await parseProblem(locked))?.detail, undefined, 'a locked body: the status decides')
  const noStream = { status: 400, headers: new Headers(json), text: async () => doc }
  t.equal((await parseProblem(noStream))?.detail, 'd', 'a response-like object without a stream')
  await t.rejects(parseProblem({ ...noStream, text: async () => 'x'.repeat(2000) }, { maxBodyBytes: 1000 }), RangeError)

  // undici-like bodies.
  const chunks = (...parts: unknown[]) => ({ async * [Symbol.asyncIterator] () { yield * parts }, text: async () => '' })
  t.equal((await parseProblem({ statusCode: 400, headers: { 'content-type': ['application/problem+json', 'x'] }, body: chunks('{"detail":', '"strings"}') }))?.detail, 'strings',
    'string chunks, a header given twice')
  await t.rejects(parseProblem({ statusCode: 400, headers: json, body: chunks(42) }), TypeError)
  await t.rejects(parseProblem({ statusCode: 400, headers: json, body: chunks('x'.repeat(600), 'y'.repeat(600)) }, { maxBodyBytes: 1000 }), RangeError,
    'over the cap with no destroy(): the iterator is closed')
  t.equal((await parseProblem({ statusCode: 400, headers: json, body: { text: async () => doc } }))?.detail, 'd', 'a body with text() only')
  t.equal((await parseProblem({ statusCode: 400, headers: json, body: { text: async () => 7 as never } }))?.detail, undefined)
  let destroyed = false
  const html = { statusCode: 502, headers: { 'content-type': 'text/html' }, body: { text: async () => '', destroy: () => { destroyed = true } } }
  t.ok(await parseProblem(html) instanceof ProblemError)
  t.ok(destroyed, 'a body not read is destroyed when it cannot be dumped')
  await t.rejects(parseProblem({ statusCode: 400, headers: null as never, body: '' }), TypeError)

  // Status and body edges.
  t.equal((await parseProblem({ statusCode: 600, headers: json, body: doc }))?.status, 500, 'a status HTTP does not define')
  t.equal((await parseProblem({ statusCode: 400, headers: json, body: '{"title":' }))?.detail, undefined, 'broken JSON')
  t.equal((await parseProblem({ statusCode: 400, headers: json, body: '{"type":"urn:example:x","title":"U"}' }))?.type, 'urn:example:x')
  t.equal((await parseProblem({ statusCode: 400, headers: json, body: '{"type":"http://[::1/x","title":"U"}' }))?.title, 'U', 'a type no URI can resolve against')
  const emoji = JSON.stringify({ title: 'T', detail: '\u{1F600}'.repeat(300) })
  await t.rejects(parseProblem({ statusCode: 400, headers: json, body: emoji }, { maxBodyBytes: 1000 }), RangeError, '4 bytes per astral character')
  t.ok(await parseProblem({ statusCode: 400, headers: json, body: emoji }, { maxBodyBytes: 1300 }) instanceof ProblemError)
})

t.test('a schema TypeBox cannot check alone gives a plain ProblemError', async (t) => {
  const Unresolved = defineProblem({
    type: 'hostile-unresolved-ref',
    status: 422,
    title: 'Unresolved',
    extensions: Type.Object({ thing: Type.Unsafe<string>(Type.Ref('NoSuchSchema')) })
  })
  const problem = await parseProblem({
    statusCode: 422,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: 'hostile-unresolved-ref', title: 'Unresolved', thing: 'x' })
  })
  t.notOk(problem instanceof Unresolved)
  t.equal(problem?.extensions.thing, 'x')
})
