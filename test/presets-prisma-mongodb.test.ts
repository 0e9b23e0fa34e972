// The `prisma` and `mongodb` presets. Prisma's query engines cannot be
// downloaded here and no MongoDB server is installed, so the errors are built
// with exactly the fields the drivers document: Prisma's
// PrismaClientKnownRequestError (`code`, `meta`, `clientVersion`, a message that
// quotes the invocation) and the mongodb driver's MongoServerError (a numeric
// `code`, `codeName`, `keyPattern`, `keyValue`, an `errmsg` that quotes the
// duplicate value). Only the way they are constructed is ours.
import t from 'tap'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { build } from './helpers.js'

/** Shaped as @prisma/client's `Prisma.PrismaClientKnownRequestError`. */
class PrismaClientKnownRequestError extends Error {
  code: string
  meta: Record<string, unknown> | undefined
  clientVersion: string
  batchRequestIdx: number | undefined
  constructor (message: string, { code, clientVersion, meta }: { code: string, clientVersion: string, meta?: Record<string, unknown> }) {
    super(message)
    this.name = 'PrismaClientKnownRequestError'
    this.code = code
    this.clientVersion = clientVersion
    this.meta = meta
    this.batchRequestIdx = undefined
  }

  get [Symbol.toStringTag] (): string {
    return 'PrismaClientKnownRequestError'
  }
}

function prismaError (code: string, meta: Record<string, unknown> | undefined, summary: string): PrismaClientKnownRequestError {
  const message = '\nInvalid `prisma.user.create()` invocation in\n/srv/app/src/users.ts:42:21\n\n' +
    "  → 42 await prisma.user.create({ data: { email: 'ada@example.com' } })\n\n" + summary
  return new PrismaClientKnownRequestError(message, { code, clientVersion: '6.16.2', meta })
}

/** Shaped as the mongodb driver's `MongoServerError` (extends MongoError extends Error). */
class MongoServerError extends Error {
  code: number
  codeName: string
  errmsg: string
  errorResponse: Record<string, unknown>
  keyPattern?: Record<string, unknown>
  keyValue?: Record<string, unknown>
  constructor (response: { errmsg: string, code: number, codeName: string, keyPattern?: Record<string, unknown>, keyValue?: Record<string, unknown> }) {
    super(response.errmsg)
    this.name = 'MongoServerError'
    this.errorResponse = response
    this.errmsg = response.errmsg
    this.code = response.code
    this.codeName = response.codeName
    if (response.keyPattern !== undefined) this.keyPattern = response.keyPattern
    if (response.keyValue !== undefined) this.keyValue = response.keyValue
  }
}

function duplicateKey (code: number, keyPattern?: Record<string, unknown>, keyValue?: Record<string, unknown>): MongoServerError {
  return new MongoServerError({
    errmsg: `E11000 duplicate key error collection: shop.users index: email_1 dup key: ${JSON.stringify(keyValue ?? {})}`,
    code,
    codeName: 'DuplicateKey',
    keyPattern,
    keyValue
  })
}

const errors: Record<string, () => Error> = {
  '/prisma/unique': () => prismaError('P2002', { modelName: 'User', target: ['email'] }, 'Unique constraint failed on the fields: (`email`)'),
  '/prisma/unique-composite': () => prismaError('P2002', { modelName: 'Membership', target: ['tenantId', 'email'] }, 'Unique constraint failed on the fields: (`tenantId`,`email`)'),
  // MySQL and MongoDB connectors name the index instead of the fields.
  '/prisma/unique-index': () => prismaError('P2002', { modelName: 'User', target: 'User_email_key' }, 'Unique constraint failed on the constraint: `User_email_key`'),
  '/prisma/unique-no-meta': () => prismaError('P2002', undefined, 'Unique constraint failed'),
  '/prisma/unique-odd-target': () => prismaError('P2002', { modelName: 'User', target: ['email', 'lower(email)'] }, 'Unique constraint failed on the fields: (`email`,`lower(email)`)'),
  '/prisma/foreign-key': () => prismaError('P2003', { modelName: 'Post', field_name: 'Post_authorId_fkey (index)' }, 'Foreign key constraint violated on the index: `Post_authorId_fkey (index)`'),
  '/prisma/not-found': () => prismaError('P2025', { modelName: 'User', cause: 'Record to update not found.' }, 'An operation failed because it depends on one or more records that were required but not found. Record to update not found.'),
  '/prisma/pool-timeout': () => prismaError('P2024', { modelName: 'User', connection_limit: 5, timeout: 10 }, 'Timed out fetching a new connection from the connection pool. (Current connection pool timeout: 10, connection limit: 5)'),
  '/prisma/write-conflict': () => prismaError('P2034', { modelName: 'User' }, 'Transaction failed due to a write conflict or a deadlock. Please retry your transaction'),
  '/mongodb/duplicate': () => duplicateKey(11000, { email: 1 }, { email: 'ada@example.com' }),
  '/mongodb/duplicate-compound': () => duplicateKey(11000, { tenant: 1, 'profile.email': 1 }, { tenant: 'acme', 'profile.email': 'ada@example.com' }),
  // A bulk write reports the code without the key fields.
  '/mongodb/duplicate-bulk': () => duplicateKey(11000),
  // A wildcard index's key pattern names no field.
  '/mongodb/duplicate-wildcard': () => duplicateKey(11000, { '$**': 1 }, { email: 'ada@example.com' }),
  '/mongodb/duplicate-legacy': () => duplicateKey(11001, { email: 1 }, { email: 'ada@example.com' })
}

const DUPLICATE = 'A resource with the same unique value already exists'
/** path → status, detail, extension members, Retry-After. */
const cases: Array<[string, number, string, Record<string, unknown>, string | undefined]> = [
  ['/prisma/unique', 409, 'A resource with this email already exists', { field: 'email' }, undefined],
  ['/prisma/unique-composite', 409, 'A resource with this tenantId, email already exists', { field: 'tenantId, email' }, undefined],
  ['/prisma/unique-index', 409, DUPLICATE, {}, undefined],
  ['/prisma/unique-no-meta', 409, DUPLICATE, {}, undefined],
  ['/prisma/unique-odd-target', 409, DUPLICATE, {}, undefined],
  ['/prisma/foreign-key', 409, 'The request conflicts with a relation between resources', {}, undefined],
  ['/prisma/not-found', 404, 'The resource was not found', {}, undefined],
  ['/prisma/pool-timeout', 503, 'The database has no connection available; retry later', {}, undefined],
  ['/prisma/write-conflict', 503, 'The request conflicted with a concurrent one; retry it', {}, '1'],
  ['/mongodb/duplicate', 409, 'A resource with this email already exists', { field: 'email' }, undefined],
  ['/mongodb/duplicate-compound', 409, 'A resource with this tenant, profile.email already exists', { field: 'tenant, profile.email' }, undefined],
  ['/mongodb/duplicate-bulk', 409, DUPLICATE, {}, undefined],
  ['/mongodb/duplicate-wildcard', 409, DUPLICATE, {}, undefined],
  ['/mongodb/duplicate-legacy', 409, 'A resource with this email already exists', { field: 'email' }, undefined]
]

function routes (app: FastifyInstance): void {
  for (const path of Object.keys(errors)) app.get(path, async () => { throw errors[path]() })
}

function leaks (body: string): string[] {
  const secrets = ['ada@example.com', 'acme', 'prisma.user', 'invocation', '/srv/app', 'User_email_key', '_fkey', 'Membership', 'modelName', 'clientVersion', '6.16.2',
    'Record to update', 'connection_limit', 'E11000', 'shop.users', 'email_1', 'dup key', 'DuplicateKey', 'keyValue', 'keyPattern']
  return secrets.filter((secret) => body.includes(secret))
}

t.test('with the prisma and mongodb presets, errors become problems with field names and no values', async (t) => {
  const app = await build(t, { presets: ['prisma', 'mongodb'] })
  routes(app)
  for (const [url, status, detail, extensions, retryAfter] of cases) {
    const res = await app.inject(url)
    t.equal(res.statusCode, status, `${url} answers ${status}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    const body = res.json()
    t.same(body, { type: 'about:blank', title: body.title, status, detail, instance: url, requestId: body.requestId, ...extensions }, `${url}: members`)
    t.equal(res.headers['retry-after'], retryAfter, `${url}: Retry-After ${retryAfter ?? 'absent'}`)
    t.same(leaks(res.body), [], `${url}: no value, message, index or model name`)
  }
})

t.test('each preset answers only for its own driver', async (t) => {
  const prismaOnly = await build(t, { presets: ['prisma'] })
  routes(prismaOnly)
  const mongoOnly = await build(t, { presets: ['mongodb'] })
  routes(mongoOnly)
  t.equal((await prismaOnly.inject('/prisma/unique')).statusCode, 409)
  t.equal((await prismaOnly.inject('/mongodb/duplicate')).statusCode, 500, 'a MongoDB error is not mapped by the prisma preset')
  t.equal((await mongoOnly.inject('/mongodb/duplicate')).statusCode, 409)
  t.equal((await mongoOnly.inject('/prisma/unique')).statusCode, 500, 'a Prisma error is not mapped by the mongodb preset')
})

t.test('a user mapping of a code replaces the preset row; a catch-all on Error does not shadow it', async (t) => {
  for (const order of ['before', 'after'] as const) {
    const app = await build(t, { presets: ['prisma'] })
    const own = (): void => { app.problemDetails.map('P2025', () => ({ status: 410, detail: 'This record is gone for good' })) }
    if (order === 'before') own()
    routes(app)
    app.problemDetails.map(Error, () => ({ status: 500, detail: 'catch-all' }))
    if (order === 'after') own()
    const gone = await app.inject('/prisma/not-found')
    t.equal(gone.statusCode, 410, `the user’s P2025 mapping wins (mapped ${order} the catch-all)`)
    t.equal(gone.json().detail, 'This record is gone for good')
    const unique = await app.inject('/prisma/unique')
    t.equal(unique.statusCode, 409, 'the catch-all on Error ranks below the preset')
    t.equal(unique.json().field, 'email')
  }
})

t.test("compat: 'fastify' adds the driver's code to a 4xx answer, and nothing else of the error", async (t) => {
  const app = await build(t, { presets: ['prisma'], compat: 'fastify' })
  routes(app)
  const res = await app.inject('/prisma/unique')
  t.equal(res.statusCode, 409)
  t.equal(res.json().code, 'P2002')
  t.equal(res.json().message, 'A resource with this email already exists')
  t.same(leaks(res.body), [])
  const pool = await app.inject('/prisma/pool-timeout')
  t.equal(pool.json().code, undefined, 'no code on a 5xx')
})

t.test('the 4xx answer is logged at info with the full driver error, in one line', async (t) => {
  const lines: Array<Record<string, any>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()))
      callback()
    }
  })
  const app = await build(t, { presets: ['prisma', 'mongodb'] }, { logger: { level: 'info', stream } })
  routes(app)
  await app.inject('/prisma/unique')
  await app.inject('/mongodb/duplicate')
  const problemLines = lines.filter((line) => line.status === 409)
  t.equal(problemLines.length, 2, 'one line per error')
  t.same(problemLines.map((line) => [line.level, line.err?.code]), [[30, 'P2002'], [30, 11000]], 'at info, with the driver error')
  t.same(problemLines[1].err.keyValue, { email: 'ada@example.com' }, 'the log keeps the value the response leaves out')
})

t.test('without presets every one of these errors is the generic 500', async (t) => {
  const app = await build(t)
  routes(app)
  for (const [url] of cases) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 500, `${url} answers 500`)
    t.same(res.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500, instance: url, requestId: res.json().requestId })
  }
})
