// Where a request's CPU time goes, V8's and the kernel's included: runs each
// route's server in its own process, records it with Linux `perf` (call
// graphs, `--perf-basic-prof` for the JavaScript frames) while autocannon
// drives that one route, and splits the server's CPU time per request into
// what pays for it. bench/profile.js shows JavaScript functions only: V8's
// C++ runtime (building an Error, the location of a `throw`) and the kernel
// appear there as "(program)" or inside the native function below them.
//
//   node bench/native-profile.js <route-id> [route-id …] [--duration s] [--logger off|info]
//                                [--mixed] [--detail <part of a category's name>] [--top n]
//
// Needs `perf` (Debian's linux-perf) and permission to attach to a process
// (root, or kernel.perf_event_paranoid ≤ 1). Figures are CPU µs per request
// measured by the server process itself (process.cpuUsage) while perf samples,
// so they run a few percent above the bench's.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { ROUTES } from './apps.js'
import { cpuOf, requestOf, startServer, stopServer } from './servers.js'

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '2' },
    logger: { type: 'string', default: 'off' },
    // Also list the frames that carry one category (a part of its name).
    detail: { type: 'string' },
    // Warm the server with every route of its kind first, as the full run does.
    mixed: { type: 'boolean', default: false },
    top: { type: 'string', default: '12' }
  }
})
const routes = positionals.map((id) => ROUTES.find((r) => r.id === id))
if (routes.length === 0 || routes.includes(undefined)) {
  console.error('usage: node bench/native-profile.js <route-id> [route-id …]; route ids: ' + ROUTES.map((r) => r.id).join(', '))
  process.exit(2)
}
try {
  execFileSync('perf', ['--version'], { stdio: 'ignore' })
} catch {
  console.error('bench/native-profile.js needs Linux perf on the PATH (Debian: apt install linux-perf)')
  process.exit(2)
}

/**
 * What pays for a sample, first match wins, tested against the whole stack
 * (leaf to root). The order puts V8's error machinery before the code that
 * called it, so "this plugin" is our JavaScript and what it calls, minus
 * building Errors and minus Fastify writing the response.
 */
const CATEGORIES = [
  ['stack trace capture (new Error)', /CaptureSimpleStackTrace|CaptureDetailedStackTrace/],
  ['Error constructor, without the stack', /ErrorUtils::Construct/],
  ['throw: V8 message and location', /Runtime_Throw|Runtime_ReThrow|Isolate::Throw/],
  ['promise rejection tracking (Node)', /PromiseRejectCallback|processPromiseRejections|unhandledRejection|handledRejection/],
  ['garbage collection', /Heap::|Scaveng|MarkCompact|GCTracer|Sweeper|ConcurrentMarking|MinorMarkSweep|\(garbage collector\)/],
  ['pino: the log lines', /\/node_modules\/(pino|sonic-boom|pino-std-serializers|safe-stable-stringify|fast-redact)\//],
  ['writing the response (Node http, socket)', /onSendEnd|_http_outgoing|__GI___writev|writev/],
  ['this plugin (resolve, render, headers, log)', /\/dist\//],
  ["Fastify's error handler and 404 handler", /fastify\/lib\/(error-handler|error-serializer|four-oh-four|fourOhFour)|basic404|fourOhFourFallBack/],
  // By the leaf frame: everything runs under the event loop's poll.
  ['kernel: reading the request, epoll', /\[kernel\.kallsyms\]/, 'leaf'],
  ['the rest: Node and Fastify reading, routing, hooks, the route', /./]
]

/** True when a category's pattern matches a sample (its leaf frame only for 'leaf' categories). */
function matches ([, pattern, where], stack) {
  if (where !== 'leaf') return pattern.test(stack)
  const end = stack.indexOf('\n')
  return pattern.test(end === -1 ? stack : stack.slice(0, end))
}

function drive (route, port, duration) {
  return autocannon({ ...requestOf(route, port), duration })
}

/** Samples of `perf script` output: each a list of frame lines, leaf first. */
function samplesOf (text) {
  const samples = []
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter((line) => line.trim() !== '')
    if (lines.length > 1) samples.push(lines.slice(1).join('\n'))
  }
  return samples
}

async function profile (route) {
  const server = await startServer(route.kind, args.logger, { execArgv: ['--perf-basic-prof'] })
  const dir = mkdtempSync(join(tmpdir(), 'problem-perf-'))
  try {
    if (args.mixed) {
      for (const other of ROUTES.filter((r) => r.kind === route.kind && r !== route)) await drive(other, server.port, 1)
    }
    await drive(route, server.port, Number(args.warmup))
    const duration = Number(args.duration)
    const data = join(dir, 'perf.data')
    const perf = spawn('perf', ['record', '-F', '999', '-g', '-p', String(server.child.pid), '-o', data, '--', 'sleep', String(duration + 0.5)], { stdio: 'ignore' })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const before = await cpuOf(server)
    const result = await drive(route, server.port, duration)
    const cpu = await cpuOf(server) - before
    await new Promise((resolve) => perf.once('exit', resolve))
    const text = execFileSync('perf', ['script', '-i', data, '-F', 'ip,sym,dso'], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    const samples = samplesOf(text)
    const counts = new Map(CATEGORIES.map(([name]) => [name, 0]))
    const frames = new Map()
    for (const stack of samples) {
      const [name] = CATEGORIES.find((category) => matches(category, stack))
      counts.set(name, counts.get(name) + 1)
      if (args.detail !== undefined && name.includes(args.detail)) {
        // The innermost JavaScript function: who pays, runtime calls included.
        const lines = stack.split('\n').map((line) => line.trim().replace(/^[0-9a-f]+ /, '').replace(/\+0x[0-9a-f]+/, '').replace(/ \(\/tmp\/perf-\d+\.map\)$/, ''))
        const frame = lines.find((line) => line.startsWith('JS:')) ?? lines[0]
        frames.set(frame, (frames.get(frame) ?? 0) + 1)
      }
    }
    const perRequest = cpu / result.requests.total
    return { route, perRequest, rps: result.requests.total / result.duration, samples: samples.length, counts, frames }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await stopServer(server)
    rmSync(`/tmp/perf-${server.child.pid}.map`, { force: true })
  }
}

const results = []
for (const route of routes) results.push(await profile(route))

const width = 62
console.log(`CPU µs per request, split by what pays for it (perf, ${args.duration}s a route, logger ${args.logger}${args.mixed ? ', after every route of the server' : ''})`)
console.log(''.padEnd(width) + results.map((r) => r.route.id.padStart(26)).join(''))
for (const [name] of CATEGORIES) {
  const cells = results.map((r) => {
    const share = r.counts.get(name) / r.samples
    return `${(share * r.perRequest).toFixed(2).padStart(8)} µs ${(100 * share).toFixed(1).padStart(5)}%`.padStart(26)
  })
  console.log(name.padEnd(width) + cells.join(''))
}
console.log('total'.padEnd(width) + results.map((r) => `${r.perRequest.toFixed(1).padStart(8)} µs`.padStart(26)).join(''))
console.log('req/s while recorded'.padEnd(width) + results.map((r) => String(Math.round(r.rps)).padStart(26)).join(''))
console.log('samples'.padEnd(width) + results.map((r) => String(r.samples).padStart(26)).join(''))

if (args.detail !== undefined) {
  for (const r of results) {
    console.log(`\n${r.route.id}: the innermost JavaScript function of the samples in "${args.detail}"`)
    for (const [frame, count] of [...r.frames].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) {
      console.log(`${((count / r.samples) * r.perRequest).toFixed(2).padStart(8)} µs  ${frame.slice(0, 150)}`)
    }
  }
}
