import t from 'tap'
import { type FastifyInstance } from 'fastify'
import createError from 'http-errors'
import { Boom } from '@hapi/boom'
import { errors as undiciErrors } from 'undici'
import { type ProblemDetailsOptions } from '../lib/index.js'
import { logCollector } from './hostile.js'
import { build, type Teardown } from './helpers.js'

/**
 * RFC 9457 §5 and OWASP's error-handling guidance: an unexpected error's
 * message, cause chain, stack, SQL, URLs, hosts, credentials and upstream
 * headers never reach the client, in any format the plugin emits and in
 * `compat: 'fastify'` mode; the log keeps them, so the error can still be found.
 */

const S = {
  message: 'sk_live_MESSAGE_51HxQ2',
  cause: 'CAUSE_token_8f3a9c',
  deepCause: 'DEEP_CAUSE_pw_b71e',
  stack: '/srv/app/src/STACK_internal_billing.ts',
  sql: "SELECT password_hash FROM users WHERE email = 'alice.SQL@example.com'",
  sqlValue: 'alice.SQL@example.com',
  url: 'https://svc:URL_pa55w0rd@payments.internal.example:8443/v1/charge',
  host: 'db-primary.HOST.internal',
  ip: '10.66.77.88',
  header: 'Bearer HEADER_eyJhbGciOiJIUzI1NiJ9',
  cookie: 'session=COOKIE_7d2f9e',
  code: 'CODE_SECRET_E42',
  body: 'UPSTREAM_BODY_secret',
  query: 'QUERY_token_c0ffee',
  json: 'TOJSON_secret_9a9a'
}
const ALL = Object.values(S)

interface Scenario {
  name: string
  make: () => unknown
  /** what the log line must carry */
  logged: string[]
}

function withStack (error: Error, stack: string): Error {
  error.stack = `${error.name}: ${error.message}\n    at charge (${stack}:42:7)`
  return error
}

const scenarios: Scenario[] = [
  {
    name: 'an Error whose message carries a credential',
    make: () => new Error(`payment failed with key ${S.message}`),
    logged: [S.message]
  },
  {
    name: 'a cause chain',
    make: () => new Error('outer', { cause: new Error(`cause ${S.cause}`, { cause: new Error(`deep ${S.deepCause}`) }) }),
    logged: [S.cause]
  },
  {
    name: 'a stack with internal paths',
    make: () => withStack(new Error('stacked'), S.stack),
    logged: [S.stack]
  },
  {
    name: 'a pg-shaped error with SQL, the row value, the host (no preset mapping)',
    make: () => Object.assign(new Error(`relation "users" does not exist: ${S.sql}`), {
      code: '42P01', severity: 'ERROR', query: S.sql, detail: `Key (email)=(${S.sqlValue}) is bad`, hint: S.host, host: S.host, where: S.url
    }),
    logged: [S.sql, S.host]
  },
  {
    name: 'a pg unique violation whose detail carries the value (the postgres preset maps it)',
    make: () => Object.assign(new Error(`duplicate key value violates unique constraint "users_email_key" ${S.sql}`), {
      code: '23505', detail: `Key (email)=(${S.sqlValue}) already exists.`, table: 'users', constraint: 'users_email_key', schema: 'public', query: S.sql
    }),
    logged: [S.sqlValue]
  },
  {
    name: 'a connection error with the host and address',
    make: () => Object.assign(new Error(`connect ECONNREFUSED ${S.ip}:5432 (${S.host})`), {
      code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: S.ip, port: 5432, hostname: S.host
    }),
    logged: [S.ip]
  },
  {
    name: 'an upstream URL with credentials',
    make: () => new TypeError(`fetch failed for ${S.url}`, { cause: Object.assign(new Error(`getaddrinfo ENOTFOUND ${S.host}`), { code: 'ENOTFOUND', hostname: S.host }) }),
    logged: [S.url]
  },
  {
    name: 'an error with statusCode 502, a message and headers',
    make: () => Object.assign(new Error(`upstream said ${S.message}`), { statusCode: 502, headers: { authorization: S.header, 'set-cookie': S.cookie } }),
    logged: [S.message, S.header]
  },
  {
    name: "undici's ResponseError with the upstream's headers and body",
    make: () => new undiciErrors.ResponseError(`Response status code 500: ${S.message}`, 500, { headers: { 'set-cookie': S.cookie, 'x-upstream-token': S.header }, body: { secret: S.body } }),
    logged: [S.cookie, S.body]
  },
  {
    name: 'a 4xx status-shaped error from an HTTP client, with upstream headers',
    make: () => Object.assign(new Error('Response Error'), { statusCode: 404, code: 'UND_ERR_RESPONSE', headers: { 'set-cookie': S.cookie, authorization: S.header }, body: S.body }),
    logged: []
  },
  {
    name: 'http-errors with expose: false',
    make: () => createError(500, `db password is ${S.message}`, { detail: S.sql }),
    logged: [S.message]
  },
  {
    name: 'a Boom 500 with data',
    make: () => new Boom(`boom ${S.message}`, { statusCode: 500, data: { sql: S.sql } }),
    logged: [S.message]
  },
  {
    name: 'a thrown object with a toJSON and a password',
    make: () => ({ message: S.message, password: S.cookie, toJSON: () => ({ leaked: S.json }) }),
    logged: []
  },
  {
    name: 'a thrown string',
    make: () => `cannot reach ${S.url}`,
    logged: [S.url]
  },
  {
    name: 'an error with a secret code and an odd statusCode',
    make: () => Object.assign(new Error(S.message), { code: S.code, statusCode: 200 }),
    logged: [S.code]
  }
]

const ACCEPTS: Array<[string | undefined, RegExp]> = [
  [undefined, /^application\/problem\+json/],
  ['application/problem+json', /^application\/problem\+json/],
  ['application/json, application/problem+json;q=0', /^application\/json/],
  ['application/problem+xml', /^application\/problem\+xml/],
  ['text/html', /^application\/problem\+json/]
]

const VARIANTS: Array<[string, ProblemDetailsOptions]> = [
  ['defaults', {}],
  ["compat: 'fastify'", { compat: 'fastify' }],
  ['postgres and network presets', { presets: ['postgres', 'network'] }]
]

async function app (t: Teardown, options: ProblemDetailsOptions): Promise<{ app: FastifyInstance, log: ReturnType<typeof logCollector> }> {
  const log = logCollector()
  const app = await build(t, options, { logger: { level: 'info', stream: log.stream } })
  app.get('/leak/:n', async (request) => {
    throw scenarios[Number((request.params as { n: string }).n)].make()
  })
  // The same errors from a hook: the onRequest path runs before routing state exists.
  app.addHook('preHandler', async (request) => {
    const n = request.headers['x-hook-leak']
    if (typeof n === 'string') throw scenarios[Number(n)].make()
  })
  return { app, log }
}

/** Every planted secret that appears in the response, its body or any header. */
function leaked (res: { body: string, headers: Record<string, unknown> }): string[] {
  const text = res.body + '\n' + JSON.stringify(res.headers)
  return ALL.filter((secret) => text.includes(secret))
}

for (const [variant, options] of VARIANTS) {
  t.test(`nothing of an unexpected error reaches the client (${variant})`, async (t) => {
    const { app: server, log } = await app(t, options)
    for (let n = 0; n < scenarios.length; n++) {
      const scenario = scenarios[n]
      for (const [accept, contentType] of ACCEPTS) {
        const res = await server.inject({
          url: `/leak/${n}?token=${S.query}`,
          headers: accept === undefined ? {} : { accept }
        })
        t.same(leaked(res), [], `${scenario.name}, Accept ${accept ?? '(none)'}: no secret in the response`)
        t.match(res.headers['content-type'], contentType, `${scenario.name}, Accept ${accept ?? '(none)'}: a problem format`)
      }
      const hook = await server.inject({ url: `/leak/${n}`, headers: { 'x-hook-leak': String(n) } })
      t.same(leaked(hook), [], `${scenario.name}, from a hook: no secret in the response`)
    }
    // The log keeps what the response must not carry.
    const logText = log.text()
    for (const scenario of scenarios) {
      for (const secret of scenario.logged) t.ok(logText.includes(secret), `${scenario.name}: ${secret} is in the log`)
    }
  })
}

t.test('an unexpected error is a generic 500 and its log line carries the request id, the error and its stack', async (t) => {
  const { app: server, log } = await app(t, {})
  const res = await server.inject(`/leak/2?token=${S.query}`)
  t.equal(res.statusCode, 500)
  t.same(res.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500, instance: '/leak/2', requestId: res.json().requestId })
  t.equal(res.headers['cache-control'], 'no-store', 'an error about this moment is not cached')
  const lines = log.lines.filter((line) => line.level === 50)
  t.equal(lines.length, 1, 'one error line')
  const line = lines[0] as { reqId: string, err: { stack: string, message: string } }
  t.equal(line.reqId, res.json().requestId, 'the requestId member finds the log line')
  t.match(line.err.stack, S.stack)
  // Fastify's own request line logs the URL as received; the plugin's line logs the path only.
  t.notOk(JSON.stringify(line).includes(S.query), 'the path the plugin logs leaves the query string out')
})

t.test('exposeDetails is the only way an unexpected message reaches the client', async (t) => {
  const log = logCollector()
  const server = await build(t, { exposeDetails: true }, { logger: { level: 'info', stream: log.stream } })
  server.get('/', async () => { throw new Error(S.message, { cause: new Error(S.cause) }) })
  const res = await server.inject('/')
  t.equal(res.statusCode, 500)
  t.equal(res.json().detail, S.message)
  t.match(JSON.stringify(res.json()), S.cause, 'the cause chain is shown in development')
})

t.test('headers of http-errors are still honoured: they were set for the client', async (t) => {
  const server = await build(t)
  server.get('/', async () => { throw createError(401, 'Log in first', { headers: { 'www-authenticate': 'Bearer realm="api"' } }) })
  const res = await server.inject('/')
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer realm="api"')
  t.equal(res.json().detail, 'Log in first')
})
