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
export const KINDS = ['problem', 'fastify', 'sensible', 'extend', 'onProblem', 'hooks']

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

/** A validation failure: `limit` must be an integer, the bench sends `abc`. */
const querySchema = {
  querystring: {
    type: 'object',
    properties: { limit: { type: 'integer' } },
    required: ['limit']
  }
}

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
 * Routes by kind. `check(json, res)` validates the first response in full
 * (undefined when it is right, or what is wrong); the runner then checks
 * every response of the run against that body (request id aside) and status.
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
    id: 'reply-not-found',
    kind: 'problem',
    label: 'ours: reply.notFound()',
    path: '/reply-not-found',
    status: 404,
    check: problemCheck({ title: 'Not Found', status: 404, detail: DETAIL, instance: '/reply-not-found' })
  },
  {
    id: 'throw-not-found',
    kind: 'problem',
    label: 'ours: throw new NotFound()',
    path: '/throw-not-found',
    status: 404,
    check: problemCheck({ title: 'Not Found', status: 404, detail: DETAIL, instance: '/throw-not-found' })
  },
  {
    id: 'throw-error',
    kind: 'problem',
    label: 'ours: throw new Error() (500)',
    path: '/throw-error',
    status: 500,
    check: problemCheck({ title: 'Internal Server Error', status: 500, detail: undefined, instance: '/throw-error' })
  },
  {
    id: 'validation',
    kind: 'problem',
    label: 'ours: validation failure (400)',
    path: '/validation?limit=abc',
    status: 400,
    check: (json, res) => problemCheck({ title: 'Bad Request', status: 400, instance: '/validation' })(json, res) ??
      (Array.isArray(json.errors) && json.errors.length === 1 && json.errors[0].pointer === '#/querystring/limit' ? undefined : 'errors[] is not one entry pointing at #/querystring/limit')
  },
  {
    id: 'registry-1000',
    kind: 'problem',
    label: 'ours: registry of 1,000 mappings',
    path: '/registry-1000/throw',
    status: 409,
    check: problemCheck({ title: 'Out of stock', status: 409, detail: 'The item is out of stock', instance: '/registry-1000/throw', sku: 'A-1' })
  },
  {
    id: 'registry-1',
    kind: 'problem',
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
  ]),
  {
    id: 'fastify-404',
    kind: 'fastify',
    label: 'fastify default: throw 404',
    path: '/throw-not-found',
    status: 404,
    check: fastifyCheck(404, 'Not Found', DETAIL)
  },
  {
    id: 'fastify-500',
    kind: 'fastify',
    label: 'fastify default: throw new Error() (500)',
    path: '/throw-error',
    status: 500,
    check: fastifyCheck(500, 'Internal Server Error', 'boom')
  },
  {
    id: 'fastify-validation',
    kind: 'fastify',
    label: 'fastify default: validation failure (400)',
    path: '/validation?limit=abc',
    status: 400,
    check: fastifyCheck(400, 'Bad Request', 'querystring/limit must be integer')
  },
  {
    id: 'sensible-not-found',
    kind: 'sensible',
    label: '@fastify/sensible: reply.notFound()',
    path: '/reply-not-found',
    status: 404,
    check: fastifyCheck(404, 'Not Found', DETAIL)
  }
]

function problemCheck (expected) {
  return function check (json, res) {
    if (!res.headers.get('content-type')?.startsWith('application/problem+json')) return 'content-type is not application/problem+json'
    if (json.type !== 'about:blank') return 'type is ' + json.type
    for (const key of Object.keys(expected)) {
      if (json[key] !== expected[key]) return `${key} is ${JSON.stringify(json[key])}, expected ${JSON.stringify(expected[key])}`
    }
    if (typeof json.requestId !== 'string' || json.requestId === '') return 'no requestId member'
    if (json.status >= 500 && res.headers.get('cache-control') !== 'no-store') return 'a 5xx without cache-control: no-store'
    return undefined
  }
}

function fastifyCheck (statusCode, error, message) {
  return (json) => json.statusCode === statusCode && json.error === error && json.message === message
    ? undefined
    : `not Fastify's default error body for ${statusCode}: ${JSON.stringify(json)}`
}

/** Routes every server kind has; only the kind's own routes are measured. */
function baseline (app) {
  app.get('/baseline', async (request, reply) => {
    reply.code(404).header('content-type', PROBLEM_JSON)
    return PRECOMPUTED
  })
}

/**
 * Builds one server kind. `logger` is `'off'` or `'info'` (pino at info,
 * writing to /dev/null: the cost of serializing the log lines, not of a disk).
 */
export async function buildApp (kind, logger = 'off') {
  const app = Fastify({ logger: logger === 'info' ? { level: 'info', file: '/dev/null' } : false })
  baseline(app)
  if (kind === 'problem' || HOOK_OPTIONS[kind] !== undefined) {
    await app.register(problemDetails, HOOK_OPTIONS[kind] ?? {})
    app.get('/reply-not-found', async (request, reply) => reply.notFound(DETAIL))
    app.get('/throw-not-found', async () => { throw new NotFound(DETAIL) })
    app.get('/throw-error', async () => { throw new Error('boom') })
    app.get('/validation', { schema: querySchema }, async () => 'unreachable')
    await app.register(async (child) => {
      mapMany(child.problemDetails, 1000)
      child.get('/throw', async () => { throw new OutOfStockError('A-1') })
    }, { prefix: '/registry-1000' })
    await app.register(async (child) => {
      mapMany(child.problemDetails, 1)
      child.get('/throw', async () => { throw new OutOfStockError('A-1') })
    }, { prefix: '/registry-1' })
  } else if (kind === 'fastify') {
    app.get('/throw-not-found', async () => { throw statusError(404, DETAIL) })
    app.get('/throw-error', async () => { throw new Error('boom') })
    app.get('/validation', { schema: querySchema }, async () => 'unreachable')
  } else if (kind === 'sensible') {
    await app.register(sensible)
    app.get('/reply-not-found', async (request, reply) => reply.notFound(DETAIL))
  } else {
    throw new Error('unknown server kind ' + kind)
  }
  await app.ready()
  return app
}
