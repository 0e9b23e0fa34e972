// The memory check: a million error responses in one process must not grow the
// heap (less than 5 MB after a forced GC). Nothing on the problem path may keep
// a per-request reference: caches are bounded (resolved types) or keyed weakly
// (registry lookups by prototype).
//
// Loopback, not `inject`: with fastify 5.12 and light-my-request 6.8 on Node 20,
// `inject` itself retains about 9 KB a request, even for a plain Fastify route
// without this plugin, which would drown the figure. The server and a minimal
// pipelining HTTP/1.1 client share this one process; the client only counts the
// status lines, so nearly all the time goes to the server.
//
//   node --expose-gc bench/memory.js [--count n]
import { connect } from 'node:net'
import { parseArgs } from 'node:util'
import { buildApp, rawRequest, ROUTES } from './apps.js'

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    json: { type: 'boolean', default: false }
  }
})
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc bench/memory.js')
  process.exit(2)
}
const count = Number(args.count)
const SOCKETS = 8
const DEPTH = 32
const WARMUP = 20_000

// Every route of ours that answers an error: helpers, thrown problems, the
// generic 500, every kind of validation, the unknown route, both registries.
// Two servers in this process: ours, and the one holding the registry routes.
const groups = []
for (const kind of ['problem', 'registry']) {
  const routes = ROUTES.filter((route) => route.kind === kind && !route.id.startsWith('baseline'))
  const app = await buildApp(kind, 'off')
  await app.listen({ host: '127.0.0.1', port: 0 })
  groups.push({ app, routes, requests: routes.map(rawRequest), port: app.server.address().port })
}
const routes = groups.flatMap((group) => group.routes)

const STATUS_LINE = 'HTTP/1.1 '

/**
 * Sends `total` requests on one socket, `DEPTH` in flight, cycling through the
 * routes; checks each status line, in order, against the route's status.
 */
function drive ({ port, routes, requests }, total) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    socket.setEncoding('latin1')
    let written = 0
    let answered = 0
    let carry = ''
    const write = (n) => {
      let out = ''
      for (let i = 0; i < n && written < total; i++, written++) out += requests[written % requests.length]
      if (out !== '') socket.write(out)
    }
    socket.on('connect', () => write(DEPTH))
    socket.on('error', reject)
    socket.on('data', (chunk) => {
      const text = carry + chunk
      let from = 0
      let before = answered
      for (let at = text.indexOf(STATUS_LINE); at !== -1; at = text.indexOf(STATUS_LINE, from)) {
        if (at + STATUS_LINE.length + 3 > text.length) break
        const status = Number(text.slice(at + STATUS_LINE.length, at + STATUS_LINE.length + 3))
        const route = routes[answered % routes.length]
        if (status !== route.status) return reject(new Error(`${route.label}: status ${status}, expected ${route.status}`))
        answered++
        from = at + STATUS_LINE.length + 3
      }
      carry = text.slice(Math.max(from, text.length - STATUS_LINE.length - 2))
      before = answered - before
      if (answered === total) {
        socket.end()
        resolve()
      } else if (before > 0) {
        write(before)
      }
    })
  })
}

let sent = 0
async function send (total) {
  const share = Math.ceil(total / SOCKETS)
  await Promise.all(Array.from({ length: SOCKETS }, (_, i) => drive(groups[i % groups.length], share)))
  sent += share * SOCKETS
}

function heapAfterGc () {
  for (let i = 0; i < 4; i++) globalThis.gc()
  return process.memoryUsage().heapUsed
}

// Warm up first: JIT code, the registry caches and Fastify's own lazily built
// state are allocated once and are not growth.
await send(WARMUP)
const before = heapAfterGc()
const started = Date.now()
sent = 0
await send(count)
const seconds = (Date.now() - started) / 1000
const after = heapAfterGc()
for (const group of groups) await group.app.close()

const report = {
  count: sent,
  routes: routes.map((route) => route.id),
  heapBeforeMB: before / 2 ** 20,
  heapAfterMB: after / 2 ** 20,
  growthMB: (after - before) / 2 ** 20,
  seconds
}
if (args.json && process.send) process.send(report)
console.log(`memory: ${sent.toLocaleString('en')} error responses (loopback, ${routes.length} routes) in ${seconds.toFixed(1)}s; ` +
  `heap after a forced GC ${report.heapBeforeMB.toFixed(2)} MB → ${report.heapAfterMB.toFixed(2)} MB, growth ${report.growthMB.toFixed(2)} MB`)
process.exitCode = report.growthMB < 5 ? 0 : 1
