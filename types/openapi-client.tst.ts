// A client generated from the example app's OpenAPI document
// (openapi-typescript, written by test/fixtures/openapi-types.ts before the
// type tests run) and openapi-fetch: the problem an operation can answer is
// told apart by `type`, then by `status`, as the document promises.
import createClient from 'openapi-fetch'
import { expect, test } from 'tstyche'
import type { paths } from './generated/documented-app.js'

const client = createClient<paths>({ baseUrl: 'https://api.acme.test' })

test('a defined type\'s members appear once its type URI is checked', async () => {
  const { data, error } = await client.POST('/users', { body: { name: 'Ada' } })
  if (error === undefined) {
    expect(data).type.toBe<{ id: string, name: string }>()
    return
  }
  // Extension members are allowed on every problem (RFC 9457 §3.2): unknown until the type is known.
  expect(error.balance).type.toBe<unknown>()
  if (error.type === 'https://api.example.com/problems/truth-out-of-credit') {
    expect(error.balance).type.toBe<number>()
    expect(error.accounts).type.toBe<string[]>()
    expect(error.status).type.toBe<403>()
  } else {
    // Everything else this operation answers is a status problem.
    expect(error.type).type.toBe<'about:blank'>()
    expect(error.status).type.toBe<400 | 409 | 413 | 415 | 500>()
    expect(error.balance).type.toBe<unknown>()
  }
})

test('a status problem is about:blank with the statuses the operation can answer', async () => {
  const { error } = await client.GET('/users/{id}', { params: { path: { id: '1' } } })
  if (error === undefined) return
  expect(error.type).type.toBe<'about:blank'>()
  expect(error.status).type.toBe<400 | 404 | 500>()
  expect(error.title).type.toBe<string>()
  expect(error.detail).type.toBe<string | undefined>()
  expect(error.requestId).type.toBe<string | undefined>()
  expect(error.type === 'https://api.example.com/problems/truth-out-of-credit').type.toRaiseError()
  // The validation problem (errors[]) is told apart by its status.
  if (error.status === 400) expect(error.errors).type.toBe<Array<{ [x: string]: unknown, detail: string, pointer?: string }>>()
  else expect(error.errors).type.toBe<unknown>()
})

test('validation or unreadable body at 400: errors[] is not promised', async () => {
  const { error } = await client.POST('/users', { body: { name: 'Ada' } })
  if (error?.status !== 400) return
  expect(error.type).type.toBe<'about:blank'>()
  // The body was validated (errors[]) or could not be read (none): a client checks.
  expect(error.errors).type.toBe<unknown>()
})

test('documented headers: Retry-After at 429', async () => {
  const { error, response } = await client.GET('/limited')
  if (error === undefined) return
  expect(error.status).type.toBe<429 | 500>()
  expect(response).type.toBe<Response>()
  type Headers429 = paths['/limited']['get']['responses'][429]['headers']
  expect<Headers429['Retry-After']>().type.toBe<string | undefined>()
})
