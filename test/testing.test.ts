import t, { type Test } from 'tap'
import { AssertionError } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { build, type Teardown } from './helpers.js'
import { assertProblem } from '../lib/testing/index.js'

/**
 * The environment of a child that loads dist/: with tap's coverage off
 * (@tapjs/processinfo reads `_TAPJS_PROCESSINFO_COVERAGE_`), since dist's
 * source maps point into lib/ and the child's coverage would merge with the
 * suite's as functions never called.
 */
function childEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', _TAPJS_PROCESSINFO_COVERAGE_: '0' }
  delete env.NODE_V8_COVERAGE
  return env
}

async function served (t: Teardown) {
  const app = await build(t)
  app.get('/missing', async (_req, reply) => reply.notFound('No user 7', { id: 7 }))
  app.get('/raw', async (req, reply) => {
    const { type, body, status } = req.query as { type?: string, body: string, status?: string }
    reply.code(Number(status ?? 400)).header('content-type', type ?? 'application/problem+json')
    return reply.send(body)
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  return { app, url: `http://127.0.0.1:${port}` }
}

/** Rejects with an AssertionError whose message has `pattern`. */
async function fails (t: Test, promise: Promise<unknown>, pattern: RegExp, what: string) {
  const err = await promise.then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof AssertionError, what + ': an AssertionError')
  t.match((err as Error)?.message, pattern, what)
}

t.test('inject results, undici request() results and fetch responses', async (t) => {
  const { app, url } = await served(t)
  const expected = { status: 404, title: 'Not Found', detail: 'No user 7', id: 7, instance: '/missing' }
  const viaInject = await assertProblem(await app.inject('/missing'), expected)
  const viaUndici = await assertProblem(await request(url + '/missing'), expected)
  const viaFetch = await assertProblem(await fetch(url + '/missing'), expected)
  const { requestId, ...members } = viaInject
  t.equal(typeof requestId, 'string', 'the body comes back, parsed')
  t.match(viaUndici, members)
  t.match(viaFetch, members)
  await assertProblem(await app.inject('/missing'))
  await assertProblem(await app.inject('/missing'), { detail: /user \d+/, traceId: undefined })
})

t.test('a failure names the member that differs', async (t) => {
  const { app } = await served(t)
  const res = await app.inject('/missing')
  await fails(t, assertProblem(res, { detail: 'No user 8' }), /member "detail" is 'No user 7', expected 'No user 8'/, 'a different value')
  await fails(t, assertProblem(res, { tenant: 'acme' }), /member "tenant" is missing/, 'a missing member')
  await fails(t, assertProblem(res, { id: undefined }), /member "id" should be absent, got 7/, 'a member that should be absent')
  await fails(t, assertProblem(res, { detail: /^user/ }), /member "detail" is 'No user 7', expected to match \/\^user\//, 'a RegExp that does not match')
  await fails(t, assertProblem(res, { id: /7/ }), /member "id" is 7, expected to match/, 'a RegExp against a number')
  await fails(t, assertProblem(res, { status: 400 }), /member "status" is 404, expected 400/, 'the status')
  const err = await assertProblem(res, { id: 8 }).catch((e: AssertionError) => e)
  t.match(err, { actual: 7, expected: 8, operator: 'deepStrictEqual' }, 'actual and expected for the runner to diff')
  t.notMatch((err as Error).stack, /lib[\\/]testing/, 'the stack starts at the caller')
})

t.test('what is not a problem response fails', async (t) => {
  const { app, url } = await served(t)
  const raw = (query: Record<string, string>) => app.inject({ url: '/raw', query })
  await fails(t, assertProblem(await raw({ type: 'application/json', body: '{"status":400}' })), /Content-Type is 'application\/json; charset=utf-8', expected "application\/problem\+json"/, 'plain JSON')
  await fails(t, assertProblem({ statusCode: 400, headers: {}, body: '{"status":400}' }), /Content-Type is undefined/, 'no content type')
  await assertProblem(await raw({ type: 'Application/Problem+JSON; charset=utf-8', body: '{"status":400}' }))
  t.pass('the media type is compared without case and parameters')
  await fails(t, assertProblem(await raw({ body: '<problem/>' })), /the body is not JSON: '<problem\/>'/, 'not JSON')
  await fails(t, assertProblem(await raw({ body: 'x'.repeat(300) })), /x…'$/, 'a long body is cut short')
  await fails(t, assertProblem(await raw({ body: '[{"status":400}]' })), /not a JSON object/, 'an array')
  await fails(t, assertProblem(await raw({ body: 'null' })), /not a JSON object/, 'null')
  await fails(t, assertProblem(await raw({ body: '{"title":"x"}' })), /member "status" is undefined, expected 400 \(the HTTP status\)/, 'no status member')
  await fails(t, assertProblem(await raw({ body: '{"status":"400"}' })), /member "status" is '400'/, 'a string status')
  await fails(t, assertProblem(await raw({ body: '{"status":404}' })), /member "status" is 404, expected 400/, 'another status')
  await fails(t, assertProblem(await raw({ body: '{"status":400,"type":7}' })), /member "type" must be a string/, 'a number type')
  await fails(t, assertProblem(await raw({ body: '{"status":400,"type":"not a uri"}' })), /member "type" must be a URI reference/, 'spaces in a type')
  await assertProblem(await raw({ body: '{"status":400,"type":"tag:a:b/c","instance":"x:y"}' }))
  t.pass('colons after a scheme are fine')
  await fails(t, assertProblem(await raw({ body: '{"status":400,"instance":"/a%zz"}' })), /member "instance" must be a URI reference/, 'a broken percent-encoding')
  await fails(t, assertProblem(await raw({ body: '{"status":400,"instance":"1a:b"}' })), /member "instance" must be a URI reference/, 'a colon in a first relative segment')
  await fails(t, assertProblem(await raw({ body: '{"status":400,"title":["x"]}' })), /member "title" must be a string/, 'an array title')
  await fails(t, assertProblem(await raw({ body: '{"status":400,"detail":null}' })), /member "detail" must be a string/, 'a null detail')
  await assertProblem(await raw({ body: '{"status":400,"type":"urn:x:y","instance":"/a/b%20c?d#e"}' }), { type: 'urn:x:y' })
  t.pass('URIs and relative references with query, fragment and percent-encoding are accepted')

  const used = await fetch(url + '/missing')
  await used.text()
  await fails(t, assertProblem(used), /read already/, 'a fetch body read before')
  await fails(t, assertProblem(null as never), /expected an inject\(\) result/, 'null')
  await fails(t, assertProblem({} as never), /expected an inject\(\) result/, 'an empty object')
  await fails(t, assertProblem({ statusCode: 400, headers: {}, body: null } as never), /no body/, 'no body')
  await assertProblem({ statusCode: 400, headers: { 'content-type': ['application/problem+json'] }, body: '{"status":400}' })
  t.pass('a repeated header is read from its first value')
})

const dist = fileURLToPath(new URL('../dist/testing/index.js', import.meta.url))

t.test('under node:test, through the package subpath fastify-problem-details/testing', async (t) => {
  t.ok(existsSync(dist), 'dist/ is built (npm run build)')
  const fixture = fileURLToPath(new URL('./fixtures/node-test-kit.mjs', import.meta.url))
  const run = spawnSync(process.execPath, ['--test', '--test-reporter=spec', fixture], { encoding: 'utf8', env: childEnv() })
  t.equal(run.status, 1, 'the deliberate failure fails the run')
  t.match(run.stdout, /✔ passes on a problem/, 'the passing test passes')
  t.match(run.stdout, /member "detail" is 'No user 7', expected 'No user 8'/, 'the report names the member')
  t.match(run.stdout, /pass 2/)
  t.match(run.stdout, /fail 1/)
})

t.test('under vitest, through the package subpath', async (t) => {
  t.ok(existsSync(dist), 'dist/ is built (npm run build)')
  const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url))
  const root = fileURLToPath(new URL('./fixtures', import.meta.url))
  const run = spawnSync(process.execPath, [vitest, 'run', '--root', root, '--reporter', 'verbose', '--color=false', 'vitest-kit'], {
    encoding: 'utf8', env: { ...childEnv(), CI: '1', NO_COLOR: '1' }
  })
  const out = run.stdout + run.stderr
  t.equal(run.status, 1, 'the deliberate failure fails the run')
  t.match(out, /AssertionError: assertProblem: member "detail" is 'No user 7', expected 'No user 8'/, 'the report names the member')
  t.match(out, /1 failed \| 2 passed/)
})
