import t from 'tap'
import { build } from './helpers.js'

t.test('reply.notFound sends a problem', async (t) => {
  const app = await build()
  app.get('/x', async (_req, reply) => reply.notFound('nope'))
  const res = await app.inject('/x')
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.same(res.json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'nope', instance: '/x', requestId: 'req-1' })
})
