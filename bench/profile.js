// Where one route's time goes: runs the route's server under `node --cpu-prof`,
// drives that one route with autocannon, and prints the functions with the
// most self time, with the share spent in this plugin's own code.
//
//   node bench/profile.js <route-id> [--duration s] [--logger off|info] [--top n] [--all]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { ROUTES } from './apps.js'
import { requestOf, startServer, stopServer } from './servers.js'

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '5' },
    logger: { type: 'string', default: 'off' },
    top: { type: 'string', default: '25' },
    // Total time of every function (Fastify's and Node's too), not only ours.
    all: { type: 'boolean', default: false }
  }
})
const route = ROUTES.find((r) => r.id === positionals[0])
if (route === undefined) {
  console.error('usage: node bench/profile.js <route-id>; route ids: ' + ROUTES.map((r) => r.id).join(', '))
  process.exit(2)
}

const dir = mkdtempSync(join(tmpdir(), 'problem-profile-'))
const server = await startServer(route.kind, args.logger, { execArgv: ['--cpu-prof', '--cpu-prof-dir=' + dir] })
const request = requestOf(route, server.port)
await autocannon({ ...request, duration: 1 })
const result = await autocannon({ ...request, duration: Number(args.duration) })
await stopServer(server)

const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'))
rmSync(dir, { recursive: true, force: true })

// Self time per node from the sample counts; grouped by function and file.
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const hits = new Map()
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1)
const self = new Map()
let total = 0
let idle = 0
for (const [id, count] of hits) {
  const { callFrame } = byId.get(id)
  if (callFrame.functionName === '(idle)' || callFrame.functionName === '(program)') idle += count
  total += count
  const where = callFrame.url.replace(/^file:\/\/.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/') || '(native)'
  const key = `${callFrame.functionName || '(anonymous)'}  ${where}:${callFrame.lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + count)
}
const busy = total - idle

// Total (inclusive) time of this plugin's functions: each sample counts once
// for every distinct function of ours on its stack.
const parent = new Map()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
const inclusive = new Map()
for (const [id, count] of hits) {
  const seen = new Set()
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const { callFrame } = byId.get(at)
    if (!args.all && !callFrame.url.includes('/dist/') && !callFrame.url.includes('/bench/')) continue
    const key = `${callFrame.functionName || '(anonymous)'}  ${callFrame.url.replace(/^file:\/\/.*\/(dist|bench)\//, '$1/')}:${callFrame.lineNumber + 1}`
    if (seen.has(key)) continue
    seen.add(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + count)
  }
}
const ours = [...self].filter(([key]) => key.includes(' dist/')).reduce((sum, [, count]) => sum + count, 0)
console.log(`${route.label}: ${Math.round(result.requests.total / result.duration)} req/s while profiled; ` +
  `${total} samples, ${idle} idle/program; this plugin's own code ${(100 * ours / busy).toFixed(1)}% of busy samples`)
console.log('self time')
for (const [key, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) {
  console.log(`${(100 * count / busy).toFixed(1).padStart(6)}%  ${key}`)
}
console.log('total time of the bench routes and this plugin\'s functions')
for (const [key, count] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) {
  console.log(`${(100 * count / busy).toFixed(1).padStart(6)}%  ${key}`)
}
