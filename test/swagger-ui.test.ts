import t from 'tap'
import { browserPage } from './browser.js'
import { documentedApp } from './fixtures/documented-app.js'

// What a person reading the API's documentation sees: Swagger UI, in headless
// Chromium, shows for each problem response an example that is a real problem
// document of that response (docs/openapi.md#what-the-document-says-about-each-problem),
// not the placeholders it makes up from a schema ("status": 599, "type": "string", additionalProp1).
t.test('Swagger UI shows real problem documents as the examples of problem responses', async (t) => {
  const app = await documentedApp({}, { ui: true })
  t.teardown(() => app.close())
  const address = await app.listen({ host: '127.0.0.1', port: 0 })

  const page = await browserPage(t)
  await page.goto(address + '/docs/static/index.html')
  await page.locator('.opblock').first().waitFor()

  /** The examples Swagger UI renders for an operation's responses, by status. */
  async function examples (id: string): Promise<Record<string, unknown>> {
    await page.locator(`#${id} .opblock-summary`).click()
    await page.locator(`#${id} .responses-table`).first().waitFor()
    const rows = await page.$$eval(`#${id} .responses-wrapper tr.response`, (trs) => trs.map((tr) => [
      tr.querySelector('.response-col_status')?.textContent?.trim() ?? '',
      tr.querySelector('.example.microlight, .microlight')?.textContent ?? ''
    ]))
    const out: Record<string, unknown> = {}
    for (const [status, text] of rows) if (status !== '' && text !== '') out[status] = JSON.parse(text)
    return out
  }

  const create = await examples('operations-users-createUser')
  t.same(Object.keys(create).sort(), ['201', '400', '403', '409', '413', '415', '500'])
  t.match(create['403'], { type: 'https://api.example.com/problems/truth-out-of-credit', title: 'You do not have enough credit', status: 403, balance: Number, accounts: Array })
  t.match(create['400'], { type: 'about:blank', title: 'Bad Request', status: 400, errors: [{ pointer: '#/body/email' }] }, 'the validation problem, with errors[]')
  t.same(create['409'], { type: 'about:blank', title: 'Conflict', status: 409, detail: 'An example Conflict problem', instance: '/example' })
  const limited = await examples('operations-misc-limited')
  t.match(limited['429'], { type: 'about:blank', title: 'Too Many Requests', status: 429 })
  t.match(await page.locator('#operations-misc-limited .responses-wrapper').innerText(), /Retry-After/, 'the 429 shows its Retry-After header')

  for (const [status, example] of Object.entries({ ...create, ...limited })) {
    if (status === '201') continue
    const text = JSON.stringify(example)
    t.equal((example as { status: unknown }).status, Number(status), `${status}: the example's status is the response's`)
    t.notMatch(text, /additionalProp|"type":"string"|599/, `${status}: no made-up placeholder`)
  }
})
