// The servers under test and the routes the bench drives, shared by the child
// server process (bench/server.js), the runner (bench/run.js) and the memory
// check (bench/memory.js), so all three measure exactly the same routes.
import Fastify from 'fastify'
import sensible from '@fastify/sensible'
import problemDetails, { NotFound } from '../dist/index.js'

/**
 * Kinds of server: ours, Fastify's default error handling, @fastify/sensible,
 * and ours with the `extend` option, the `onProblem` option, and both set
 * (docs/observability.md): `problem` is the same plugin with them unset.
 */
export const KINDS = ['problem', 'fastify', 'sensible', 'registry', 'extend', 'onProblem', 'hooks']

/** The hook options of the hook kinds: cheap bodies, so the figures are the plugin's cost of calling them. */
const HOOK_OPTIONS = {
  extend: { extend: () => ({ tenant: 'acme' }) },
  onProblem: { onProblem: countProblem },
  hooks: { extend: () => ({ tenant: 'acme' }), onProblem: countProblem }
}
let problemsSeen = 0
function countProblem () { problemsSeen++ }
/** How many problems onProblem saw (keeps the counter observable). */
export function problemsCounted () { return problemsSeen }

const DETAIL = 'User 1 does not exist'

/**
 * The baseline: a problem document computed once at startup and sent as a
 * string. No error, no lookup, no serialization: the cost of a route that
 * answers 404 with a problem body, the physical limit of a problem response.
 */
const PRECOMPUTED = JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: DETAIL, instance: '/baseline' })
const PROBLEM_JSON = 'application/problem+json'

/**
 * The validation routes, the same schemas on every kind of server. Every
 * server uses Ajv with `allErrors` (the same options everywhere), so the
 * ten-error body gets ten errors; each other route's request breaks one rule.
 */
const TEN = Array.from({ length: 10 }, (_, i) => 'field' + i)
const SCHEMAS = {
  query: { querystring: { type: 'object', properties: { limit: { type: 'integer' } }, required: ['limit'] } },
  body1: { body: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
  body10: { body: { type: 'object', properties: Object.fromEntries(TEN.map((name) => [name, { type: 'string' }])), required: TEN } },
  params: { params: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } },
  headers: { headers: { type: 'object', properties: { 'x-tenant': { type: 'integer' } }, required: ['x-tenant'] } }
}
const AJV = { customOptions: { allErrors: true } }
const JSON_BODY = { 'content-type': 'application/json' }

/** The error the registry routes throw: an application error of the user's own. */
export class OutOfStockError extends Error {
  constructor (sku) {
    super('out of stock: ' + sku)
    this.name = 'OutOfStockError'
    this.sku = sku
  }
}

/** An error carrying Fastify's `statusCode`: Fastify's default 404 error path. */
function statusError (status, message) {
  const error = new Error(message)
  error.statusCode = status
  return error
}

function outOfStock (error) {
  return { status: 409, title: 'Out of stock', detail: 'The item is out of stock', extensions: { sku: error.sku } }
}

/**
 * A registry of `size` mappings in a child context: the one that matches is a
 * class mapping; the rest are other classes, error codes and predicates, the
 * mix a large app has. A predicate is never reached when a class matches.
 */
function mapMany (registry, size) {
  for (let i = 1; i < size; i++) {
    const kind = i % 10
    if (kind < 5) {
      const Other = class extends Error {}
      registry.map(Other, () => ({ status: 400 + (i % 20), detail: 'class ' + i }))
    } else if (kind < 9) {
      registry.map('E_BENCH_' + i, () => ({ status: 400 + (i % 20), detail: 'code ' + i }))
    } else {
      const marker = 'bench' + i
      registry.map((error) => error !== null && typeof error === 'object' && error.marker === marker, () => ({ status: 418 }))
    }
  }
  registry.map(OutOfStockError, outOfStock)
}

/**
 * The error kinds every server answers (issue 15): each with the request that
 * causes it, the status, what our problem must carry, and what Fastify's
 * default body must say. `servers` lists the kinds of server that have it.
 */
const ERROR_KINDS = [
  {
    id: 'throw-not-found',
    label: 'thrown 404',
    path: '/throw-not-found',
    status: 404,
    servers: ['problem', 'fastify', 'sensible'],
    ours: { title: 'Not Found', detail: DETAIL, instance: '/throw-not-found' },
    fastify: DETAIL
  },
  {
    id: 'reply-not-found',
    label: 'reply.notFound()',
    path: '/reply-not-found',
    status: 404,
    servers: ['problem', 'sensible'],
    ours: { title: 'Not Found', detail: DETAIL, instance: '/reply-not-found' },
    fastify: DETAIL
  },
  {
    id: 'validation-body',
    label: 'validation: body, 1 error',
    method: 'POST',
    path: '/validation-body',
    body: '{}',
    headers: JSON_BODY,
    status: 400,
    servers: ['problem', 'fastify', 'sensible'],
    ours: { title: 'Bad Request', detail: "body must have required property 'name'", instance: '/validation-body' },
    pointers: ['#/body/name'],
    fastify: "body must have required property 'name'"
  },
  {
    id: 'validation-body-10',
    label: 'validation: body, 10 errors',
    method: 'POST',
    path: '/validation-body-10',
    body: '{}',
    headers: JSON_BODY,
    status: 400,
    servers: ['problem', 'fastify', 'sensible'],
    ours: { title: 'Bad Request', instance: '/validation-body-10' },
    pointers: TEN.map((name) => '#/body/' + name),
    fastify: TEN.map((name) => `body must have required property '${name}'`).join(', ')
  },
  {
    id: 'validation-query',
    label: 'validation: querystring',
    path: '/validation-query?limit=abc',
    status: 400,
    servers: ['problem', 'fastify', 'sensible'],
    ours: { title: 'Bad Request', detail: 'querystring/limit must be integer', instance: '/validation-query' },
    pointers: ['#/querystring/limit'],
    fastify: 'querystring/limit must be integer'
  },
  {
    id: 'validation-params',
    label: 'validation: params',
    path: '/validation-params/abc',
    status: 400,
    servers: ['problem', 'fastify', 'sensible'],
    ours: { title: 'Bad Request', detail: 'params/id must be integer', instance: '/validation-params/abc' },
    pointers: ['#/params/id'],
    fastify: 'params/id must be integer'
  },
  {
    id: 'validation-headers',
    label: 'validation: headers',
    path: '/validation-headers',
    status: 400,
    servers: ['problem', 'fastify', 'sensible'],
    ours: { title: 'Bad Request', detail: "headers must have required property 'x-tenant'", instance: '/validation-headers' },
    pointers: ['#/headers/x-tenant'],
    fastify: "headers must have required property 'x-tenant'"
  },
  {
    id: 'unknown-route',
    label: 'unknown route (404)',
    path: '/no-such-route',
    status: 404,
    servers: ['problem', 'fastify', 'sensible'],
    ours: { title: 'Not Found', detail: 'Route GET:/no-such-route not found', instance: '/no-such-route' },
    fastify: 'Route GET:/no-such-route not found'
  },
  {
    id: 'throw-error',
    label: 'generic 500 (throw new Error())',
    path: '/throw-error',
    status: 500,
    servers: ['problem', 'fastify', 'sensible'],
    ours: { title: 'Internal Server Error', detail: undefined, instance: '/throw-error' },
    fastify: 'boom'
  }
]

/** The error kinds, for the runner's table: id, label and which servers have them. */
export const ERRORS = ERROR_KINDS.map(({ id, label, servers }) => ({ id, label, servers }))

const STATUS_PHRASES = { 400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error' }

const SERVER_NAMES = { problem: 'ours', fastify: 'fastify default', sensible: '@fastify/sensible' }

/** The id of the route of error kind `error` on server `kind`: ours keep the kind's id. */
export function routeId (error, kind) {
  return kind === 'problem' ? error : kind + '-' + error
}

/**
 * Routes by kind. `check(json, res)` validates the first response in full
 * (undefined when it is right, or what is wrong); the runner then checks
 * every response of the run against that body (request id aside) and status.
 * `method`, `body` and `headers` are the request's, when it is not a plain GET.
 */
export const ROUTES = [
  {
    id: 'baseline',
    kind: 'problem',
    label: 'baseline: precomputed problem string',
    path: '/baseline',
    status: 404,
    check: (json) => json.title === 'Not Found' && json.detail === DETAIL ? undefined : 'not the precomputed problem'
  },
  {
    id: 'baseline-send',
    kind: 'problem',
    label: 'baseline: the same string by reply.send()',
    path: '/baseline-send',
    status: 404,
    check: (json) => json.title === 'Not Found' && json.detail === DETAIL ? undefined : 'not the precomputed problem'
  },
  ...ERROR_KINDS.flatMap((error) => error.servers.map((kind) => ({
    id: routeId(error.id, kind),
    kind,
    error: error.id,
    label: `${SERVER_NAMES[kind]}: ${error.label}`,
    method: error.method,
    path: error.path,
    body: error.body,
    headers: error.headers,
    status: error.status,
    check: kind === 'problem'
      ? problemCheck({ status: error.status, ...error.ours }, error.pointers)
      : fastifyCheck(error.status, STATUS_PHRASES[error.status], error.fastify)
  }))),
  {
    id: 'registry-1000',
    kind: 'registry',
    label: 'ours: registry of 1,000 mappings',
    path: '/registry-1000/throw',
    status: 409,
    check: problemCheck({ title: 'Out of stock', status: 409, detail: 'The item is out of stock', instance: '/registry-1000/throw', sku: 'A-1' })
  },
  {
    id: 'registry-1',
    kind: 'registry',
    label: 'ours: registry of 1 mapping',
    path: '/registry-1/throw',
    status: 409,
    check: problemCheck({ title: 'Out of stock', status: 409, detail: 'The item is out of stock', instance: '/registry-1/throw', sku: 'A-1' })
  },
  ...['extend', 'onProblem', 'hooks'].flatMap((kind) => [
    {
      id: kind + '-reply-not-found',
      kind,
      label: `${kind} set: reply.notFound()`,
      path: '/reply-not-found',
      status: 404,
      check: problemCheck({ title: 'Not Found', status: 404, detail: DETAIL, instance: '/reply-not-found', tenant: kind === 'onProblem' ? undefined : 'acme' })
    },
    {
      id: kind + '-throw-error',
      kind,
      label: `${kind} set: throw new Error() (500)`,
      path: '/throw-error',
      status: 500,
      check: problemCheck({ title: 'Internal Server Error', status: 500, detail: undefined, instance: '/throw-error', tenant: kind === 'onProblem' ? undefined : 'acme' })
    }
  ])
]

/** The raw HTTP/1.1 request of a route (the memory check writes them itself). */
export function rawRequest (route) {
  let head = `${route.method ?? 'GET'} ${route.path} HTTP/1.1\r\nhost: 127.0.0.1\r\n`
  for (const [name, value] of Object.entries(route.headers ?? {})) head += `${name}: ${value}\r\n`
  if (route.body !== undefined) head += `content-length: ${Buffer.byteLength(route.body)}\r\n`
  return head + '\r\n' + (route.body ?? '')
}

function problemCheck (expected, pointers) {
  return function check (json, res) {
    if (!res.headers.get('content-type')?.startsWith('application/problem+json')) return 'content-type is not application/problem+json'
    if (json.type !== 'about:blank') return 'type is ' + json.type
    for (const key of Object.keys(expected)) {
      if (json[key] !== expected[key]) return `${key} is ${JSON.stringify(json[key])}, expected ${JSON.stringify(expected[key])}`
    }
    if (typeof json.requestId !== 'string' || json.requestId === '') return 'no requestId member'
    if (json.status >= 500 && res.headers.get('cache-control') !== 'no-store') return 'a 5xx without cache-control: no-store'
    if (pointers !== undefined) {
      const got = Array.isArray(json.errors) ? json.errors.map((e) => e.pointer) : undefined
      if (JSON.stringify(got) !== JSON.stringify(pointers)) return `errors[] points at ${JSON.stringify(got)}, expected ${JSON.stringify(pointers)}`
    }
    return undefined
  }
}

function fastifyCheck (statusCode, error, message) {
  return (json) => json.statusCode === statusCode && json.error === error && json.message === message
    ? undefined
    : `not Fastify's default error body for ${statusCode}: ${JSON.stringify(json)}`
}

/**
 * The baselines, on every server kind (only the kind's own routes are
 * measured): the precomputed string returned from the handler, and the same
 * string given to `reply.send()` with the handler returning `reply`, the
 * shape of `return reply.notFound()` (an async handler that returns `reply`
 * costs Fastify one more promise step, about 10% of this route).
 */
function baseline (app) {
  app.get('/baseline', async (request, reply) => {
    reply.code(404).header('content-type', PROBLEM_JSON)
    return PRECOMPUTED
  })
  app.get('/baseline-send', async (request, reply) => {
    return reply.code(404).header('content-type', PROBLEM_JSON).send(PRECOMPUTED)
  })
}

/** The routes every error-answering server has alike (their answers are the server's own). */
function sharedRoutes (app) {
  app.get('/throw-error', async () => { throw new Error('boom') })
  const unreachable = async () => 'unreachable'
  app.post('/validation-body', { schema: SCHEMAS.body1 }, unreachable)
  app.post('/validation-body-10', { schema: SCHEMAS.body10 }, unreachable)
  app.get('/validation-query', { schema: SCHEMAS.query }, unreachable)
  app.get('/validation-params/:id', { schema: SCHEMAS.params }, unreachable)
  app.get('/validation-headers', { schema: SCHEMAS.headers }, unreachable)
}

/**
 * Builds one server kind. `logger` is `'off'` or `'info'` (pino at info,
 * writing to /dev/null: the cost of serializing the log lines, not of a disk).
 */
export async function buildApp (kind, logger = 'off') {
  const app = Fastify({
    logger: logger === 'info' ? { level: 'info', file: '/dev/null' } : false,
    ajv: AJV
  })
  if (kind === 'problem' || HOOK_OPTIONS[kind] !== undefined) {
    await app.register(problemDetails, HOOK_OPTIONS[kind] ?? {})
    baseline(app)
    sharedRoutes(app)
    app.get('/reply-not-found', async (request, reply) => reply.notFound(DETAIL))
    app.get('/throw-not-found', async () => { throw new NotFound(DETAIL) })
  } else if (kind === 'registry') {
    // A server of its own, so ours and Fastify's servers hold the same routes.
    await app.register(problemDetails)
    baseline(app)
    for (const size of [1000, 1]) {
      await app.register(async (child) => {
        mapMany(child.problemDetails, size)
        child.get('/throw', async () => { throw new OutOfStockError('A-1') })
      }, { prefix: '/registry-' + size })
    }
  } else if (kind === 'fastify') {
    baseline(app)
    sharedRoutes(app)
    app.get('/throw-not-found', async () => { throw statusError(404, DETAIL) })
  } else if (kind === 'sensible') {
    await app.register(sensible)
    baseline(app)
    sharedRoutes(app)
    app.get('/reply-not-found', async (request, reply) => reply.notFound(DETAIL))
    app.get('/throw-not-found', async () => { throw app.httpErrors.notFound(DETAIL) })
  } else {
    throw new Error('unknown server kind ' + kind)
  }
  await app.ready()
  return app
}
