// The `postgres` preset against a real PostgreSQL server (a throwaway cluster,
// test/pg-cluster.ts) through a real pg.Pool: every error is raised by the
// server or the driver, through a Fastify route.
import t from 'tap'
import { Writable } from 'node:stream'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { build, closedPort, listenRaw } from './helpers.js'
import { startCluster } from './pg-cluster.js'

type Test = Pick<typeof t, 'teardown'>

const cluster = await startCluster(t)
const config = { host: cluster.host, port: cluster.port, user: cluster.user, database: cluster.database }
const pool = new pg.Pool({ ...config, max: 8 })
// Idle clients of a terminated backend emit 'error'; the test does not care.
pool.on('error', () => {})
t.teardown(() => pool.end())

await pool.query(`
  CREATE TABLE authors (
    id int PRIMARY KEY,
    email text NOT NULL UNIQUE,
    age int CONSTRAINT authors_age_check CHECK (age >= 0),
    name varchar(5)
  );
  CREATE UNIQUE INDEX authors_lower_name_idx ON authors (lower(name));
  CREATE TABLE posts (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id));
  CREATE TABLE memberships (tenant_id int, email text, UNIQUE (tenant_id, email));
  CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL);
  INSERT INTO authors VALUES (1, 'ada@example.com', 36, 'ada');
  INSERT INTO posts (author_id) VALUES (1);
  INSERT INTO memberships VALUES (7, 'grace@example.com');
  INSERT INTO counters VALUES (1, 0), (2, 0);
  CREATE ROLE limited LOGIN CONNECTION LIMIT 1;
  CREATE DOMAIN required_text AS text NOT NULL;
  CREATE TABLE accounts ("Login Name" text UNIQUE, nickname required_text, "owner id" int REFERENCES authors (id));
  INSERT INTO accounts VALUES ('ada-login', 'ada', 1);
`)

/** Runs `fn` with two clients of the pool, rolling back and releasing them after. */
async function withTwo<T> (fn: (a: pg.PoolClient, b: pg.PoolClient) => Promise<T>): Promise<T> {
  const a = await pool.connect()
  const b = await pool.connect()
  try {
    return await fn(a, b)
  } finally {
    await a.query('ROLLBACK').catch(() => {})
    await b.query('ROLLBACK').catch(() => {})
    a.release()
    b.release()
  }
}

/** Throws what the first rejected promise rejected with. */
async function firstRejection (promises: Array<Promise<unknown>>): Promise<never> {
  const results = await Promise.allSettled(promises)
  for (const result of results) if (result.status === 'rejected') throw result.reason
  throw new Error('expected a rejection')
}

interface Ports { closed: number, silent: number, hangUp: number }

/** One route per error; each lets the driver's error escape. */
function routes (app: FastifyInstance, ports: Ports): void {
  app.post('/unique', async () => pool.query("INSERT INTO authors (id, email) VALUES (2, 'ada@example.com')"))
  app.post('/unique-composite', async () => pool.query("INSERT INTO memberships VALUES (7, 'grace@example.com')"))
  app.post('/unique-expression', async () => pool.query("INSERT INTO authors (id, email, name) VALUES (3, 'bob@example.com', 'ADA')"))
  app.post('/unique-quoted', async () => pool.query("INSERT INTO accounts VALUES ('ada-login', 'ada', 1)"))
  app.post('/not-null-domain', async () => pool.query("INSERT INTO accounts VALUES ('grace-login', NULL, 1)"))
  app.post('/foreign-key-odd-column', async () => pool.query("INSERT INTO accounts VALUES ('carol-login', 'carol', 4242)"))
  app.post('/foreign-key-missing', async () => pool.query('INSERT INTO posts (author_id) VALUES (4242)'))
  app.delete('/foreign-key-referenced', async () => pool.query('DELETE FROM authors WHERE id = 1'))
  app.post('/not-null', async () => pool.query('INSERT INTO authors (id, email) VALUES (5, NULL)'))
  app.post('/check', async () => pool.query("INSERT INTO authors (id, email, age) VALUES (6, 'carol@example.com', -12)"))
  app.get('/bad-integer', async () => pool.query('SELECT $1::int AS n', ['abc-secret']))
  app.get('/too-long', async () => pool.query("INSERT INTO authors (id, email, name) VALUES (8, 'dan@example.com', 'abcdefghij')"))
  app.get('/out-of-range', async () => pool.query('SELECT $1::int AS n', ['99999999999']))
  app.get('/bad-date', async () => pool.query('SELECT $1::date AS d', ['not-a-date']))
  app.get('/date-out-of-range', async () => pool.query('SELECT $1::date AS d', ['2020-13-45']))
  app.post('/serialization', async () => withTwo(async (a, b) => {
    await a.query('BEGIN ISOLATION LEVEL REPEATABLE READ')
    await a.query('SELECT n FROM counters WHERE id = 1')
    await b.query('UPDATE counters SET n = n + 1 WHERE id = 1')
    return a.query('UPDATE counters SET n = n + 1 WHERE id = 1')
  }))
  app.post('/deadlock', async () => withTwo(async (a, b) => {
    await a.query('BEGIN')
    await b.query('BEGIN')
    await a.query('UPDATE counters SET n = n + 1 WHERE id = 1')
    await b.query('UPDATE counters SET n = n + 1 WHERE id = 2')
    return firstRejection([
      a.query('UPDATE counters SET n = n + 1 WHERE id = 2'),
      b.query('UPDATE counters SET n = n + 1 WHERE id = 1')
    ])
  }))
  app.get('/too-many-connections', async () => {
    const first = new pg.Client({ ...config, user: 'limited' })
    await first.connect()
    try {
      const second = new pg.Client({ ...config, user: 'limited' })
      return await second.connect()
    } finally {
      await first.end()
    }
  })
  app.get('/terminated', async () => {
    const victim = new pg.Client(config)
    victim.on('error', () => {})
    await victim.connect()
    try {
      const { rows } = await victim.query('SELECT pg_backend_pid() AS pid')
      const sleeping = victim.query('SELECT pg_sleep(5)')
      // It may reject while the terminate below is awaited: handled here, rethrown by the await.
      sleeping.catch(() => {})
      // Terminate once the sleep runs, so the server answers with 57P01.
      for (let i = 0; i < 50; i++) {
        const state = await pool.query('SELECT state FROM pg_stat_activity WHERE pid = $1', [rows[0].pid])
        if (state.rows[0]?.state === 'active') break
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      await pool.query('SELECT pg_terminate_backend($1)', [rows[0].pid])
      return await sleeping
    } finally {
      await victim.end().catch(() => {})
    }
  })
  app.get('/statement-timeout', async () => pool.query('SET statement_timeout = 50; SELECT pg_sleep(2)').finally(() => pool.query('RESET statement_timeout')))
  app.get('/query-timeout', async () => {
    const client = new pg.Client({ ...config, query_timeout: 50 })
    await client.connect()
    try {
      return await client.query('SELECT pg_sleep(0.3)')
    } finally {
      await client.end().catch(() => {})
    }
  })
  app.get('/pool-exhausted', async () => {
    const small = new pg.Pool({ ...config, max: 1, connectionTimeoutMillis: 100 })
    const held = await small.connect()
    try {
      return await small.query('SELECT 1')
    } finally {
      held.release()
      await small.end()
    }
  })
  const unreachable = async (port: number): Promise<unknown> => {
    const dead = new pg.Pool({ ...config, port, connectionTimeoutMillis: 200 })
    try {
      return await dead.query('SELECT 1')
    } finally {
      await dead.end()
    }
  }
  app.get('/refused', async () => unreachable(ports.closed))
  app.get('/connect-timeout', async () => unreachable(ports.silent))
  app.get('/hang-up', async () => unreachable(ports.hangUp))
}

async function setup (t: Test): Promise<Ports> {
  return {
    closed: await closedPort(),
    silent: await listenRaw(t, () => {}),
    // Reads the startup message, then closes: the driver sees the connection end.
    hangUp: await listenRaw(t, (socket) => { socket.once('data', () => socket.end()) })
  }
}

const UNIQUE = 'A resource with the same unique value already exists'
const RETRY = 'The request conflicted with a concurrent one; retry it'
const UNAVAILABLE = 'The database is not available; retry later'

/** method, path → status, detail, extension members, Retry-After. */
const cases: Array<[string, string, number, string, Record<string, unknown>, string | undefined]> = [
  ['POST', '/unique', 409, 'A resource with this email already exists', { field: 'email' }, undefined],
  ['POST', '/unique-composite', 409, 'A resource with this tenant_id, email already exists', { field: 'tenant_id, email' }, undefined],
  ['POST', '/unique-expression', 409, UNIQUE, {}, undefined],
  // A quoted identifier is unquoted; a domain's NOT NULL names no column; the
  // foreign-key detail prints names unquoted, so one that is not a plain
  // identifier cannot be told from the syntax around it and is left out.
  ['POST', '/unique-quoted', 409, 'A resource with this Login Name already exists', { field: 'Login Name' }, undefined],
  ['POST', '/not-null-domain', 422, 'A required value is missing', {}, undefined],
  ['POST', '/foreign-key-odd-column', 422, 'The request refers to a resource that does not exist', {}, undefined],
  ['POST', '/foreign-key-missing', 422, 'The author_id refers to a resource that does not exist', { field: 'author_id' }, undefined],
  ['DELETE', '/foreign-key-referenced', 409, 'The resource is still referenced by other resources', {}, undefined],
  ['POST', '/not-null', 422, 'A value for email is required', { field: 'email' }, undefined],
  ['POST', '/check', 422, 'A value does not satisfy a rule of this resource', {}, undefined],
  ['GET', '/bad-integer', 400, 'A value in the request has the wrong format for its type', {}, undefined],
  ['GET', '/too-long', 400, 'A value in the request is longer than allowed', {}, undefined],
  ['GET', '/out-of-range', 400, 'A number in the request is out of range', {}, undefined],
  ['GET', '/bad-date', 400, 'A date or time in the request is not valid', {}, undefined],
  ['GET', '/date-out-of-range', 400, 'A date or time in the request is out of range', {}, undefined],
  ['POST', '/serialization', 503, RETRY, {}, '1'],
  ['POST', '/deadlock', 503, RETRY, {}, '1'],
  ['GET', '/too-many-connections', 503, 'The database has no connection available; retry later', {}, undefined],
  ['GET', '/terminated', 503, UNAVAILABLE, {}, undefined],
  ['GET', '/statement-timeout', 504, 'The database did not answer in time', {}, undefined],
  ['GET', '/query-timeout', 504, 'The database did not answer in time', {}, undefined],
  ['GET', '/pool-exhausted', 503, UNAVAILABLE, {}, undefined],
  ['GET', '/refused', 503, 'A service this API depends on is not available; retry later', {}, undefined],
  ['GET', '/connect-timeout', 503, UNAVAILABLE, {}, undefined],
  ['GET', '/hang-up', 503, UNAVAILABLE, {}, undefined]
]

/** What a response must never carry: values, SQL, messages, names of internals, the host. */
function leaks (body: string, ports: Ports): string[] {
  const secrets = ['ada@example.com', 'grace@example.com', 'carol@example.com', 'abc-secret', 'abcdefghij', '4242', '99999999999', 'not-a-date', '2020-13-45',
    'ada-login', 'carol-login', 'required_text', 'accounts', 'owner',
    'INSERT', 'SELECT', 'DELETE', 'pg_sleep', 'Key (', 'authors', 'posts', 'memberships', 'counters', '_key', '_fkey', '_check', '_idx', 'lower(',
    'duplicate key', 'violates', 'constraint', 'syntax', 'limited', 'terminating', 'administrator',
    '127.0.0.1', String(cluster.port), String(ports.closed), String(ports.silent), String(ports.hangUp)]
  return secrets.filter((secret) => body.includes(secret))
}

t.test('with the postgres preset, each driver error becomes its problem and carries nothing but the column', async (t) => {
  const ports = await setup(t)
  const app = await build(t, { presets: ['postgres'] })
  routes(app, ports)
  for (const [method, url, status, detail, extensions, retryAfter] of cases) {
    const res = await app.inject({ method: method as 'GET', url })
    t.equal(res.statusCode, status, `${method} ${url} answers ${status}`)
    t.equal(res.headers['content-type'], 'application/problem+json')
    const body = res.json()
    t.same(body, { type: 'about:blank', title: body.title, status, detail, instance: url, requestId: body.requestId, ...extensions }, `${url}: members`)
    t.equal(res.headers['retry-after'], retryAfter, `${url}: Retry-After ${retryAfter ?? 'absent'}`)
    t.same(leaks(res.body, ports), [], `${url}: no value, SQL, message, internal name or host`)
  }
})

/** What the driver raised for each route: its SQLSTATE or Node code, or pg's message. */
const raised: Record<string, string> = {
  '/unique': '23505',
  '/unique-composite': '23505',
  '/unique-expression': '23505',
  '/unique-quoted': '23505',
  '/not-null-domain': '23502',
  '/foreign-key-odd-column': '23503',
  '/foreign-key-missing': '23503',
  '/foreign-key-referenced': '23503',
  '/not-null': '23502',
  '/check': '23514',
  '/bad-integer': '22P02',
  '/too-long': '22001',
  '/out-of-range': '22003',
  '/bad-date': '22007',
  '/date-out-of-range': '22008',
  '/serialization': '40001',
  '/deadlock': '40P01',
  '/too-many-connections': '53300',
  '/terminated': '57P01',
  '/statement-timeout': '57014',
  '/query-timeout': 'Query read timeout',
  '/pool-exhausted': 'timeout exceeded when trying to connect',
  '/refused': 'ECONNREFUSED',
  '/connect-timeout': 'Connection terminated due to connection timeout',
  '/hang-up': 'Connection terminated unexpectedly'
}

t.test('the full driver error goes to the log, one line per error, 4xx answers included', async (t) => {
  const ports = await setup(t)
  const lines: Array<Record<string, any>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()))
      callback()
    }
  })
  const app = await build(t, { presets: ['postgres'] }, { logger: { level: 'info', stream } })
  routes(app, ports)

  for (const [method, url, status] of cases) {
    lines.length = 0
    await app.inject({ method: method as 'GET', url })
    const problemLines = lines.filter((line) => line.status === status)
    t.equal(problemLines.length, 1, `${url}: one line`)
    t.equal(problemLines[0]?.level, status >= 500 ? 50 : 30, `${url}: at ${status >= 500 ? 'error' : 'info'}`)
    const err = problemLines[0]?.err ?? {}
    // pino's serializer appends the messages of the cause chain.
    t.ok(err.code === raised[url] || String(err.message).startsWith(raised[url]), `${url}: the line carries the driver error (${raised[url]})`)
  }

  lines.length = 0
  await app.inject({ method: 'POST', url: '/unique' })
  const err = lines.find((line) => line.status === 409)?.err
  t.match(err?.detail, /ada@example\.com/, 'with the detail line the response leaves out')
  t.equal(err?.constraint, 'authors_email_key', 'and the constraint')
})

t.test('without presets every driver error is the generic 500', async (t) => {
  const ports = await setup(t)
  const app = await build(t)
  routes(app, ports)
  for (const [method, url] of cases) {
    const res = await app.inject({ method: method as 'GET', url })
    t.equal(res.statusCode, 500, `${method} ${url} answers 500`)
    t.same(res.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500, instance: url, requestId: res.json().requestId })
    t.equal(res.headers['retry-after'], undefined)
  }
})

t.test('a user mapping of a SQLSTATE overrides the preset', async (t) => {
  const app = await build(t, { presets: ['postgres'] })
  routes(app, await setup(t))
  app.problemDetails.map('23505', () => ({ status: 409, type: 'https://api.example.com/problems/taken', title: 'Already taken' }))
  const res = await app.inject({ method: 'POST', url: '/unique' })
  t.equal(res.statusCode, 409)
  t.equal(res.json().type, 'https://api.example.com/problems/taken')
  t.equal(res.json().field, undefined)
})
