import t from 'tap'
import { browserPage } from './browser.js'
import { Type } from '@sinclair/typebox'
import { defineProblem, RegistrationError, type ProblemTypeClass } from '../lib/index.js'
// How a member's JSON Schema reads on a page, and the example value it gets:
// a table of schema → text, specified on the two functions directly (a
// defined type per row would only wrap each row in a page). The browser test
// below reads some of them off a real page.
import { describeType, exampleOf } from '../lib/fastify/catalogue-pages.js'
import { build } from './helpers.js'

// Definitions are process-wide: every type in this file starts with "cat-"
// (or lives under "billing/cat-"). Each app documents (and serves) the types
// it lists with document() or its routes reference.
const OutOfCredit = defineProblem({
  type: 'cat-out-of-credit',
  status: 403,
  title: 'You do not have enough credit',
  description: 'The balance does not cover the cost. Top up, then retry. <script>alert("x")</script> & more',
  extensions: Type.Object({
    balance: Type.Number({ description: 'The balance, in cents' }),
    accounts: Type.Array(Type.String({ format: 'uri-reference' })),
    currency: Type.Optional(Type.Union([Type.Literal('EUR'), Type.Literal('USD')]))
  })
})
const External = defineProblem({ type: 'https://elsewhere.example/cat-external', status: 502, title: 'Documented elsewhere' })
let CardDeclined: ProblemTypeClass | undefined

t.test('typeDocs needs a base with a path of its own', async (t) => {
  await t.rejects(build(t, { typeBase: 'https://api.example.com/', typeDocs: true }), RegistrationError)
})

t.test('pages, JSON by Accept, 404s and headers (inject, absolute typeBase)', async (t) => {
  const app = await build(t, { typeBase: 'https://api.example.com/problems/', typeDocs: true })
  // Defined after register, before ready: it can be documented.
  CardDeclined = defineProblem({ type: 'billing/cat-card-declined', status: 402, title: 'The card was declined', extensions: Type.Object({ reason: Type.String() }) })
  app.problemDetails.document(OutOfCredit, External, CardDeclined)

  const html = await app.inject('/problems/')
  t.equal(html.statusCode, 200)
  t.match(html.headers['content-type'], /^text\/html; charset=utf-8/)
  t.match(html.headers['content-security-policy'], /default-src 'none'; style-src 'sha256-/)
  t.equal(html.headers['x-content-type-options'], 'nosniff')
  t.match(html.headers.vary, /Accept/)
  t.match(html.body, '<a href="cat-out-of-credit">You do not have enough credit</a>')
  t.match(html.body, '<a href="billing/cat-card-declined">The card was declined</a>')
  t.match(html.body, '<code>https://elsewhere.example/cat-external</code>', 'a type that lives elsewhere is listed, not linked')
  t.notMatch(html.body, /<a href="https:\/\/elsewhere/)

  const json = await app.inject({ url: '/problems/', headers: { accept: 'application/json' } })
  t.equal(json.headers['content-type'], 'application/json')
  const index = json.json()
  const credit = index.types.find((e: { title: string }) => e.title === 'You do not have enough credit')
  t.match(credit, {
    type: 'https://api.example.com/problems/cat-out-of-credit',
    status: 403,
    page: 'https://api.example.com/problems/cat-out-of-credit',
    schemaId: 'CatOutOfCreditProblem',
    schema: { $id: 'CatOutOfCreditProblem', required: ['type', 'title', 'status', 'balance', 'accounts'] }
  })
  t.equal(index.types.find((e: { status: number }) => e.status === 502).page, undefined)

  const typeJson = await app.inject({ url: '/problems/billing/cat-card-declined', headers: { accept: 'text/html;q=0.5, application/json' } })
  t.equal(typeJson.json().title, 'The card was declined')
  const browserLike = await app.inject({ url: '/problems/cat-out-of-credit', headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } })
  t.match(browserLike.headers['content-type'], /^text\/html/)
  t.match(browserLike.body, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more', 'the description is escaped')
  t.notMatch(browserLike.body, '<script>')

  const missing = await app.inject('/problems/nothing-here')
  t.equal(missing.statusCode, 404)
  t.equal(missing.headers['content-type'], 'application/problem+json')
  t.equal(missing.json().instance, '/problems/nothing-here')
  t.equal((await app.inject('/problems/cat-out-of-credit?x=1')).statusCode, 200, 'a query string does not hide the page')
  t.equal((await app.inject({ method: 'HEAD', url: '/problems/cat-out-of-credit' })).statusCode, 200)
})

t.test('a person browses the catalogue in headless Chromium', async (t) => {
  const app = await build(t, { typeBase: '/problems/', typeDocs: true })
  app.problemDetails.document(OutOfCredit, External, CardDeclined!)
  const address = await app.listen({ host: '127.0.0.1', port: 0 })

  const page = await browserPage(t)
  const violations: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') violations.push(message.text()) })

  // The index.
  const response = await page.goto(address + '/problems/')
  t.equal(response?.status(), 200)
  t.equal(await page.title(), 'Problem types')
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Problem types')
  t.ok(await page.getByRole('table', { name: 'Defined problem types' }).isVisible(), 'the table is named by its caption')
  t.equal(await page.getByRole('row').count(), 4, 'a header row and three types')
  t.ok(await page.getByText('https://elsewhere.example/cat-external').isVisible())

  // Follow a link to a type page.
  await page.getByRole('link', { name: 'You do not have enough credit' }).click()
  await page.waitForURL('**/problems/cat-out-of-credit')
  t.equal(await page.title(), 'You do not have enough credit · Problem type')
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'You do not have enough credit')
  const text = await page.locator('main').innerText()
  t.match(text, 'The balance does not cover the cost. Top up, then retry. <script>alert("x")</script> & more',
    'the description reads as written: markup in it is shown, not run')
  t.equal(await page.locator('script').count(), 0)
  t.match(text, '/problems/cat-out-of-credit')
  t.match(text, '403 Forbidden')

  const members = page.getByRole('table', { name: 'Extension members' })
  t.ok(await members.isVisible())
  const rows = await members.getByRole('row').allInnerTexts()
  t.match(rows[1], /balance\s+number\s+yes\s+The balance, in cents/)
  t.match(rows[2], /accounts\s+array of string \(uri-reference\)\s+yes/)
  t.match(rows[3], /currency\s+"EUR" \| "USD"\s+no/)

  const example = JSON.parse(await page.locator('pre').innerText())
  t.same(example, {
    type: '/problems/cat-out-of-credit',
    title: 'You do not have enough credit',
    status: 403,
    detail: 'An explanation specific to this occurrence.',
    instance: '/example/request/path',
    requestId: 'req-1',
    balance: 0,
    accounts: ['/example'],
    currency: 'EUR'
  }, 'the example is a complete problem document')

  // The stylesheet is applied: the Content-Security-Policy hash matches it.
  t.equal(await page.locator('body').evaluate((body) => (globalThis as any).getComputedStyle(body).maxWidth), '832px')

  // Back to the index, then to a nested type and back again.
  await page.getByRole('link', { name: 'All problem types' }).click()
  await page.waitForURL('**/problems/')
  await page.getByRole('link', { name: 'The card was declined' }).click()
  await page.waitForURL('**/problems/billing/cat-card-declined')
  t.match(await page.locator('main').innerText(), /reason\s+string\s+yes/)
  await page.getByRole('link', { name: 'All problem types' }).click()
  await page.waitForURL('**/problems/')
  t.equal(await page.title(), 'Problem types')

  t.same(violations, [], 'no console errors (no CSP violations)')
})

t.test('more page shapes: no members, headers, types on the base origin or elsewhere', async (t) => {
  // Defined after the browser test's app was ready, so its view is unchanged.
  const types = [
    defineProblem({ type: 'cat-plain', status: 409, title: 'Plain conflict', headers: { 'Cache-Control': 'no-store' } }),
    defineProblem({ type: 'https://api.example.com/problems/cat-absolute', status: 410, title: 'Absolute on the base' }),
    defineProblem({ type: 'https://api.example.com/elsewhere/cat-outside', status: 410, title: 'Outside the base path' }),
    defineProblem({ type: 'cat-query?v=2', status: 400, title: 'With a query', schemaId: 'CatQueryProblem' })
  ]
  for (const typeBase of ['https://api.example.com/problems/', '/problems/']) {
    const app = await build(t, { typeBase, typeDocs: true, requestIdMember: false })
    app.problemDetails.document(...types)
    await app.ready()
    const plain = await app.inject('/problems/cat-plain')
    t.match(plain.body, 'None: problems of this type carry the standard members only.')
    t.match(plain.body, '<dt>Headers</dt><dd><code>Cache-Control</code></dd>')
    t.notMatch(plain.body, 'requestId', 'the example follows requestIdMember')
    const index = (await app.inject({ url: '/problems/', headers: { accept: 'application/json' } })).json()
    const pageOf = (title: string): unknown => index.types.find((e: { title: string }) => e.title === title).page
    t.equal(pageOf('Outside the base path'), undefined, typeBase + ': outside the base path')
    t.equal(pageOf('With a query'), undefined, typeBase + ': a type with a query has no page')
    if (typeBase.startsWith('https:')) {
      t.equal(pageOf('Absolute on the base'), 'https://api.example.com/problems/cat-absolute')
      t.equal((await app.inject('/problems/cat-absolute')).statusCode, 200)
    } else {
      t.equal(pageOf('Absolute on the base'), undefined, 'a path-only base serves relative types only')
    }
  }
})

t.test('member types and examples as the pages show them', async (t) => {
  const cases: Array<[unknown, string]> = [
    [undefined, 'any'],
    [{}, 'any'],
    [{ const: 1 }, '1'],
    [{ enum: ['a', 'b'] }, '"a" | "b"'],
    [{ anyOf: [{ type: 'string' }, { type: 'null' }] }, 'string | null'],
    [{ oneOf: [{ type: 'integer' }] }, 'integer'],
    [{ $ref: 'ProblemDetails#' }, 'ProblemDetails'],
    [{ type: ['string', 'null'] }, 'string | null'],
    [{ type: 'array', items: { type: 'integer' } }, 'array of integer'],
    [{ type: 'object' }, 'object'],
    [{ type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } }, required: ['a'] }, 'object { a: string, b?: number }'],
    [{ type: 'string', format: 'email' }, 'string (email)']
  ]
  for (const [schema, expected] of cases) t.equal(describeType(schema as never), expected, JSON.stringify(schema))

  const examples: Array<[unknown, unknown]> = [
    [undefined, null],
    [{}, null],
    [{ type: 'string', examples: ['EUR'] }, 'EUR'],
    [{ type: 'number', example: 5 }, 5],
    [{ type: 'string', default: 'd' }, 'd'],
    [{ const: 3 }, 3],
    [{ enum: ['x', 'y'] }, 'x'],
    [{ anyOf: [{ type: 'boolean' }, { type: 'string' }] }, true],
    [{ type: 'string', format: 'date-time' }, '2026-01-01T12:00:00Z'],
    [{ type: 'string', format: 'unknown-format' }, 'string'],
    [{ type: 'integer', minimum: 5 }, 5],
    [{ type: 'null' }, null],
    [{ type: ['string', 'null'] }, 'string'],
    [{ type: 'object', properties: { n: { type: 'number' }, tags: { type: 'array', items: { type: 'string' } } } }, { n: 0, tags: ['string'] }],
    [{ type: 'object' }, {}]
  ]
  for (const [schema, expected] of examples) t.same(exampleOf(schema as never), expected, JSON.stringify(schema))
})

t.test('HTML unless the client prefers JSON', async (t) => {
  const app = await build(t, { typeBase: '/problems/', typeDocs: true })
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['application/json', true],
    ['application/*', true],
    ['text/html', false],
    ['application/json, text/html', false],
    ['application/json;q=0.9, text/html;q=0.8', true],
    ['text/*;q=0.5, application/json;q=0.4', false],
    ['application/json;q=0, */*', false],
    ['text/html;q=0, application/json;q=0.1', true]
  ]
  for (const [accept, json] of cases) {
    const res = await app.inject({ url: '/problems/', headers: accept === undefined ? {} : { accept } })
    t.match(res.headers['content-type'], json ? /^application\/json/ : /^text\/html/, String(accept))
  }
})
