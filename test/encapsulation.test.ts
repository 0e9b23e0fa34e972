import t from 'tap'
import { type FastifyInstance } from 'fastify'
import problemDetails, { RegistrationError } from '../lib/index.js'
import { bare, build } from './helpers.js'

class PaymentError extends Error {}

/** Every route throws a PaymentError; the answer's status tells which mapping won. */
function route (app: FastifyInstance, path: string): void {
  app.get(path, async () => { throw new PaymentError('declined') })
}

async function statusOf (app: FastifyInstance, path: string): Promise<number> {
  return (await app.inject(path)).statusCode
}

t.test('a child plugin\'s map() applies to its own routes and its descendants only', async (t) => {
  const app = await build(t)
  route(app, '/root')

  await app.register(async (child) => {
    child.problemDetails.map(PaymentError, () => ({ status: 402 }))
    route(child, '/child')
    await child.register(async (grandchild) => {
      route(grandchild, '/grandchild')
      await grandchild.register(async (great) => {
        great.problemDetails.map(PaymentError, () => ({ status: 409 }))
        route(great, '/great')
      })
    })
  })

  await app.register(async (sibling) => {
    route(sibling, '/sibling')
    sibling.problemDetails.map(PaymentError, () => ({ status: 503 }))
  })

  await app.register(async (plain) => { route(plain, '/plain') })

  t.equal(await statusOf(app, '/root'), 500, 'the root has no mapping: the generic 500')
  t.equal(await statusOf(app, '/child'), 402, 'the child\'s mapping')
  t.equal(await statusOf(app, '/grandchild'), 402, 'a grandchild inherits it')
  t.equal(await statusOf(app, '/great'), 409, 'a nearer context overrides it')
  t.equal(await statusOf(app, '/sibling'), 503, 'a sibling has its own (mapped after the route was added)')
  t.equal(await statusOf(app, '/plain'), 500, 'an unrelated sibling is not affected')
})

t.test('a root mapping added after the children is seen by them', async (t) => {
  const app = await build(t)
  await app.register(async (child) => { route(child, '/child') })
  app.problemDetails.map(PaymentError, () => ({ status: 402 }))
  t.equal(await statusOf(app, '/child'), 402)
})

t.test('the plugin registered inside a prefix plugin serves its own context', async (t) => {
  const app = bare(t)
  await app.register(async (api) => {
    await api.register(problemDetails)
    api.problemDetails.map(PaymentError, () => ({ status: 402 }))
    route(api, '/in')
  }, { prefix: '/api' })
  t.equal((await app.inject('/api/in')).statusCode, 402)
  t.equal((await app.inject('/api/in')).headers['content-type'], 'application/problem+json')
})

t.test('one setErrorHandler, at the context the plugin is registered in', async (t) => {
  const app = bare(t)
  const handlers: string[] = []
  const original = app.setErrorHandler
  app.addHook('onRegister', (instance) => {
    const set = instance.setErrorHandler
    instance.setErrorHandler = function (this: FastifyInstance, ...args: Parameters<FastifyInstance['setErrorHandler']>) {
      handlers.push('child')
      return set.apply(this, args)
    } as FastifyInstance['setErrorHandler']
  })
  app.setErrorHandler = function (this: FastifyInstance, ...args: Parameters<FastifyInstance['setErrorHandler']>) {
    handlers.push('root')
    return original.apply(this, args)
  } as FastifyInstance['setErrorHandler']
  await app.register(problemDetails)
  for (let i = 0; i < 3; i++) {
    await app.register(async (child) => {
      child.problemDetails.map(PaymentError, () => ({ status: 402 }))
      await child.register(async (grandchild) => { grandchild.problemDetails.map('E', () => ({ status: 400 })) })
    })
  }
  await app.ready()
  t.same(handlers, ['root'], 'map() in children installs no handler of its own')
})

t.test('a child plugin may still set its own error handler (Fastify 5)', async (t) => {
  const app = await build(t)
  await app.register(async (child) => {
    child.setErrorHandler(async (_err, _req, reply) => reply.code(418).send('own'))
    route(child, '/own')
  })
  const res = await app.inject('/own')
  t.equal(res.statusCode, 418)
  t.equal(res.body, 'own')
})

t.test('registering the plugin twice in one context or a child is a clear registration error', async (t) => {
  const app = await build(t)
  await t.rejects(async () => { await app.register(problemDetails) }, { name: 'RegistrationError', message: /already registered/ })

  const nested = await build(t)
  await t.rejects(async () => { await nested.register(async (child) => { await child.register(problemDetails) }) }, RegistrationError)
})
