import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { pathToFileURL } from 'node:url'
import * as api from '../lib/index.js'
import * as client from '../lib/client/index.js'
import * as testing from '../lib/testing/index.js'

const execFileAsync = promisify(execFile)

/** Runs node on a script with tap's coverage off: dist's source maps point into lib/, and its coverage would count as lib's. */
function run (file: string, args: string[]): Promise<{ stdout: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' }
  delete env.NODE_V8_COVERAGE
  return execFileAsync(file, args, { env })
}

// Every runtime name of the package, each documented in docs/api.md. A name
// joining or leaving the public API is a decision: change this list with it.
const STATUS_CLASSES = [
  'BadRequest', 'Unauthorized', 'PaymentRequired', 'Forbidden', 'NotFound', 'MethodNotAllowed', 'NotAcceptable',
  'ProxyAuthenticationRequired', 'RequestTimeout', 'Conflict', 'Gone', 'LengthRequired', 'PreconditionFailed',
  'ContentTooLarge', 'PayloadTooLarge', 'URITooLong', 'UriTooLong', 'UnsupportedMediaType', 'RangeNotSatisfiable',
  'ExpectationFailed', 'ImATeapot', 'MisdirectedRequest', 'UnprocessableContent', 'UnprocessableEntity', 'Locked',
  'FailedDependency', 'TooEarly', 'UpgradeRequired', 'PreconditionRequired', 'TooManyRequests',
  'RequestHeaderFieldsTooLarge', 'UnavailableForLegalReasons', 'InternalServerError', 'NotImplemented', 'BadGateway',
  'ServiceUnavailable', 'GatewayTimeout', 'HTTPVersionNotSupported', 'HttpVersionNotSupported',
  'VariantAlsoNegotiates', 'InsufficientStorage', 'LoopDetected', 'BandwidthLimitExceeded', 'NotExtended',
  'NetworkAuthenticationRequired'
]
const OTHERS = [
  'default', 'problemDetails', 'frameworkErrors', 'clientErrors',
  'OptionError', 'RegistrationError',
  'ProblemError', 'ValidationProblem', 'defineProblem',
  'ProblemDetails', 'ValidationProblemDetails', 'ProblemDetailsRef', 'ValidationProblemDetailsRef', 'schemaRef',
  'problemResponses', 'refResolver',
  'HttpProblem', 'httpErrors',
  'matchLanguage',
  'isProblemDetails', 'parseProblem'
]

t.test('the package exports exactly its documented names', async (t) => {
  t.same(Object.keys(api).sort(), [...STATUS_CLASSES, ...OTHERS].sort())
})

t.test('every exported name is in docs/api.md', async (t) => {
  const { readFile } = await import('node:fs/promises')
  const doc = await readFile(resolve(import.meta.dirname, '../docs/api.md'), 'utf8')
  for (const name of [...STATUS_CLASSES, ...OTHERS]) {
    if (name === 'default') continue
    t.ok(doc.includes('`' + name), `${name} is documented`)
  }
})

t.test('the client subpath exports the client helpers only', async (t) => {
  t.same(Object.keys(client).sort(), ['isProblemDetails', 'parseProblem'])
  t.equal(client.parseProblem, api.parseProblem, 'the same functions as the main entry')
})

t.test('the testing subpath exports the test kit only', async (t) => {
  t.same(Object.keys(testing).sort(), ['assertProblem'])
})

t.test('fastify-problem-details/client and /testing load no server code', async (t) => {
  // A loader hook that fails any import of a server package, then the built
  // client entry point (npm test builds dist/ first), as a consumer loads it.
  const dir = await mkdtemp(join(tmpdir(), 'client-only-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const hooks = join(dir, 'hooks.mjs')
  await writeFile(hooks, `export async function resolve (specifier, context, next) {
  if (/^(fastify|fastify-plugin|pino|@fastify\\/)/.test(specifier)) throw new Error('server code loaded: ' + specifier)
  return next(specifier, context)
}\n`)
  const entry = pathToFileURL(resolve(import.meta.dirname, '../dist/client/index.js')).href
  const script = `import { register } from 'node:module'
register(${JSON.stringify(pathToFileURL(hooks).href)})
const client = await import(${JSON.stringify(entry)})
console.log(Object.keys(client).sort().join(','))`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script])
  t.equal(stdout.trim(), 'isProblemDetails,parseProblem')
  const kit = pathToFileURL(resolve(import.meta.dirname, '../dist/testing/index.js')).href
  const { stdout: kitNames } = await run(process.execPath, ['--input-type=module', '-e', script.replace(JSON.stringify(entry), JSON.stringify(kit))])
  t.equal(kitNames.trim(), 'assertProblem')
  // The hook does fail a server import: the check above can fail.
  const main = pathToFileURL(resolve(import.meta.dirname, '../dist/index.js')).href
  const failing = script.replace(JSON.stringify(entry), JSON.stringify(main))
  await t.rejects(run(process.execPath, ['--input-type=module', '-e', failing]), /server code loaded/)
})
