// `npm run bench`: every route of bench/apps.js driven by autocannon against a
// server in its own process, logger off and then pino at info: every error
// kind on ours, Fastify's default and @fastify/sensible, with the ratios of CPU
// time per request and of req/s measured in the same run, then the memory check.
//
//   node bench/run.js [--quick] [--duration s] [--warmup s] [--prewarm s] [--rounds n]
//                     [--connections n] [--logger off|info|both] [--routes id,id]
//                     [--env production|development] [--json file] [--profile]
//                     [--no-memory] [--memory-count n] [--strict]
//
// A wrong status or body in any response stops the run with an error; a missed
// target is reported, and fails the run (exit code 1) only with --strict.
import { fork } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { ERRORS, KINDS, ROUTES, routeId } from './apps.js'
import { cpuOf, requestOf, startServer, stopServer } from './servers.js'

const here = fileURLToPath(new URL('.', import.meta.url))

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    prewarm: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '50' },
    logger: { type: 'string', default: 'both' },
    env: { type: 'string', default: 'production' },
    routes: { type: 'string' },
    json: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-memory': { type: 'boolean', default: false },
    'memory-count': { type: 'string' },
    strict: { type: 'boolean', default: false }
  }
})

function positive (name, value) {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer (got ${value})`)
  return n
}

const options = {
  duration: positive('duration', args.duration ?? (args.quick ? 1 : 2)),
  warmup: positive('warmup', args.warmup ?? 1),
  // Seconds of unmeasured load right before every measured run (0: none).
  prewarm: Number(args.prewarm ?? (args.quick ? 0 : 0.5)),
  rounds: positive('rounds', args.rounds ?? (args.quick ? 1 : 3)),
  connections: positive('connections', args.connections),
  loggers: args.logger === 'both' ? ['off', 'info'] : [args.logger],
  // The servers' NODE_ENV: production by default, the path users deploy
  // (the development-only checks, contractCheck and conformance, are off).
  env: args.env,
  memoryCount: positive('memory-count', args['memory-count'] ?? (args.quick ? 100_000 : 1_000_000))
}
if (options.env !== 'production' && options.env !== 'development') throw new Error('--env is production or development')
if (!(options.prewarm >= 0)) throw new Error('--prewarm is a number of seconds, 0 or more')
for (const logger of options.loggers) {
  if (logger !== 'off' && logger !== 'info') throw new Error('--logger is off, info or both')
}
const wanted = args.routes?.split(',')
for (const id of wanted ?? []) {
  if (!ROUTES.some((route) => route.id === id)) throw new Error(`--routes: no route ${id}; the routes are ${ROUTES.map((r) => r.id).join(', ')}`)
}
const selected = wanted === undefined
  ? ROUTES
  : ROUTES.filter((route) => route.id === 'baseline' || wanted.includes(route.id))

/**
 * One request checked in full (status, headers, every member that matters),
 * whose body then becomes the reference every response of the load run is
 * compared with: exactly, or with only the request id allowed to differ.
 */
async function validate (route, port) {
  const res = await fetch(`http://127.0.0.1:${port}${route.path}`, { method: route.method ?? 'GET', body: route.body, headers: route.headers })
  const text = await res.text()
  if (res.status !== route.status) throw new Error(`${route.label}: status ${res.status}, expected ${route.status}: ${text}`)
  let json
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error(`${route.label}: the body is not JSON: ${text}`)
  }
  const wrong = route.check(json, res)
  if (wrong !== undefined) throw new Error(`${route.label}: ${wrong}`)

  const marker = '"requestId":"'
  const at = text.indexOf(marker)
  if (at === -1) return { expectBody: text }
  const prefix = text.slice(0, at + marker.length)
  const suffix = text.slice(text.indexOf('"', at + marker.length))
  const most = prefix.length + suffix.length + 24
  return {
    verifyBody: (body) => body.length <= most && body.startsWith(prefix) && body.endsWith(suffix)
  }
}

/** One autocannon run; throws when a response had the wrong status or body. */
async function load (route, server, duration, bodyCheck) {
  const cpuBefore = await cpuOf(server)
  const result = await autocannon({ ...requestOf(route, server.port, options.connections), duration, ...bodyCheck })
  const statuses = Object.keys(result.statusCodeStats)
  const problems = []
  if (result.errors > 0) problems.push(`${result.errors} errors`)
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`)
  if (result.mismatches > 0) problems.push(`${result.mismatches} responses with a wrong body`)
  if (statuses.length !== 1 || Number(statuses[0]) !== route.status) problems.push(`statuses ${JSON.stringify(result.statusCodeStats)}, expected only ${route.status}`)
  if (problems.length > 0) throw new Error(`${route.label}: ${problems.join(', ')}`)
  const cpu = await cpuOf(server) - cpuBefore
  return {
    cpu,
    requests: result.requests.total,
    seconds: result.duration,
    rps: result.requests.total / result.duration,
    p99: result.latency.p99
  }
}

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function runPass (logger) {
  const kinds = KINDS.filter((kind) => selected.some((route) => route.kind === kind))
  const servers = {}
  for (const kind of kinds) {
    const execArgv = args.profile ? ['--cpu-prof', '--cpu-prof-dir=' + here + 'profiles', `--cpu-prof-name=${kind}-${logger}.cpuprofile`] : []
    servers[kind] = await startServer(kind, logger, { execArgv, env: options.env })
  }
  try {
    const checks = new Map()
    for (const route of selected) checks.set(route, await validate(route, servers[route.kind].port))
    process.stdout.write(`\nlogger ${logger}: warm-up ${options.warmup}s a route`)
    for (const route of selected) await load(route, servers[route.kind], options.warmup, checks.get(route))
    const runs = new Map(selected.map((route) => [route, []]))
    for (let round = 0; round < options.rounds; round++) {
      process.stdout.write(`, round ${round + 1}/${options.rounds}`)
      // Interleaved, and each round starts one route later, so a slow spell of
      // this machine is spread over the routes instead of hitting one.
      for (let i = 0; i < selected.length; i++) {
        const route = selected[(i + round) % selected.length]
        // Each server sits idle while the others are measured; an unmeasured
        // run of the route first makes it warm again (its caches, the CPU's).
        if (options.prewarm > 0) await load(route, servers[route.kind], options.prewarm, checks.get(route))
        runs.get(route).push(await load(route, servers[route.kind], options.duration, checks.get(route)))
      }
    }
    process.stdout.write('\n')
    const rows = {}
    for (const [route, list] of runs) {
      const requests = list.reduce((sum, r) => sum + r.requests, 0)
      const seconds = list.reduce((sum, r) => sum + r.seconds, 0)
      const cpu = list.reduce((sum, r) => sum + r.cpu, 0)
      rows[route.id] = {
        label: route.label,
        status: route.status,
        requests,
        rps: requests / seconds,
        rpsMin: Math.min(...list.map((r) => r.rps)),
        rpsMax: Math.max(...list.map((r) => r.rps)),
        p99: median(list.map((r) => r.p99)),
        // The median of the rounds: one round hit by another process's burst
        // does not move it.
        cpuPerRequest: median(list.map((r) => r.cpu / r.requests)),
        cpuPerRequestMin: Math.min(...list.map((r) => r.cpu / r.requests)),
        cpuPerRequestMean: cpu / requests,
        // Per round, in round order: a ratio is taken round by round, between
        // two routes measured within seconds of each other.
        cpuRounds: list.map((r) => r.cpu / r.requests),
        rpsRounds: list.map((r) => r.rps)
      }
    }
    const base = rows.baseline.rps
    const baseCpu = rows.baseline.cpuPerRequest
    for (const row of Object.values(rows)) {
      row.ratio = row.rps / base
      row.cpuRatio = baseCpu / row.cpuPerRequest
    }
    return rows
  } finally {
    for (const kind of kinds) await stopServer(servers[kind])
  }
}

/**
 * The targets (issue 15), as ratios of CPU time per request to Fastify's
 * default in the same pass, logger off and pino on; against the baseline and
 * @fastify/sensible where said. `info` ones are shown, never required.
 */
const TARGETS = [
  { name: "thrown 404 / Fastify's default", of: 'throw-not-found', to: 'fastify-throw-not-found', min: 1.5 },
  ...['validation-body', 'validation-body-10', 'validation-query', 'validation-params'].map((id) => (
    { name: `${ERRORS.find((e) => e.id === id).label} / Fastify's default`, of: id, to: 'fastify-' + id, min: 1.2 })),
  { name: "validation: headers / Fastify's default", of: 'validation-headers', to: 'fastify-validation-headers', min: 1.2, info: true },
  { name: "unknown route / Fastify's default", of: 'unknown-route', to: 'fastify-unknown-route', min: 1.0 },
  { name: "generic 500 / Fastify's default", of: 'throw-error', to: 'fastify-throw-error', min: 1.0 },
  // The same handler shape on both sides: reply.send(), then return reply.
  { name: 'reply.notFound() / precomputed string, reply.send()', of: 'reply-not-found', to: 'baseline-send', min: 0.95 },
  { name: 'reply.notFound() / precomputed string, returned', of: 'reply-not-found', to: 'baseline', min: 0.95, info: true },
  { name: 'reply.notFound() / @fastify/sensible', of: 'reply-not-found', to: 'sensible-reply-not-found', min: 1.0, info: true },
  { name: 'registry of 1,000 / registry of 1', of: 'registry-1000', to: 'registry-1', min: 0.95, info: true },
  // The cost of the hooks when set, for information (docs/observability.md).
  { name: 'reply.notFound(), extend set / unset', of: 'extend-reply-not-found', to: 'reply-not-found', min: 0, info: true },
  { name: 'reply.notFound(), onProblem set / unset', of: 'onProblem-reply-not-found', to: 'reply-not-found', min: 0, info: true },
  { name: 'reply.notFound(), both set / unset', of: 'hooks-reply-not-found', to: 'reply-not-found', min: 0, info: true },
  { name: '500, both set / unset', of: 'hooks-throw-error', to: 'throw-error', min: 0, info: true }
]

/**
 * A ratio of CPU time per request, `to / of` (higher is faster for `of`), over
 * the whole pass (medians) and round by round. A target is met when every
 * round meets it, missed when no round does, and otherwise reported as
 * parity: the machine's noise hides which side of the target it is on.
 */
function compare (of, to) {
  const rounds = of.cpuRounds.map((cpu, i) => to.cpuRounds[i] / cpu)
  return {
    cpuRatio: to.cpuPerRequest / of.cpuPerRequest,
    rpsRatio: of.rps / to.rps,
    low: Math.min(...rounds),
    high: Math.max(...rounds)
  }
}

function evaluate (rows) {
  const out = []
  for (const target of TARGETS) {
    const of = rows[target.of]
    const to = rows[target.to]
    if (of === undefined || to === undefined) continue
    const ratio = compare(of, to)
    const verdict = ratio.low >= target.min ? 'met' : ratio.high < target.min ? 'MISS' : 'parity'
    out.push({ name: target.name, ...ratio, min: target.min, verdict, required: target.info !== true })
  }
  return out
}

const pad = (s, n) => String(s).padEnd(n)
const lpad = (s, n) => String(s).padStart(n)
const fixed = (n, digits = 2) => n === undefined ? '–' : n.toFixed(digits)

function printPass (logger, rows, targets) {
  console.log(`\n${logger === 'off' ? 'logger off' : 'pino at info → /dev/null'}`)
  console.log(`${pad('route', 50)}${lpad('req/s', 8)}${lpad('(min–max)', 14)}${lpad('p99 ms', 8)}${lpad('× base', 8)}${lpad('cpu µs/req', 12)}${lpad('× base', 8)}`)
  for (const row of Object.values(rows)) {
    console.log(`${pad(row.label, 50)}${lpad(Math.round(row.rps), 8)}${lpad(`${Math.round(row.rpsMin)}–${Math.round(row.rpsMax)}`, 14)}` +
      `${lpad(row.p99, 8)}${lpad(row.ratio.toFixed(2), 8)}${lpad(row.cpuPerRequest.toFixed(1), 12)}${lpad(row.cpuRatio.toFixed(2), 8)}`)
  }
  // Every error kind against both peers: CPU µs a request, and ours as a
  // ratio of theirs (CPU time, then req/s; above 1 is faster).
  console.log('\nerror kinds: CPU µs/request, and ours against each (CPU ratio, req/s ratio; > 1 is faster)')
  console.log(`${pad('error kind', 34)}${lpad('ours', 7)}${lpad('fastify', 9)}${lpad('sensible', 10)}${lpad('vs fastify cpu', 16)}${lpad('req/s', 7)}${lpad('vs sensible cpu', 17)}${lpad('req/s', 7)}`)
  for (const error of ERRORS) {
    const ours = rows[routeId(error.id, 'problem')]
    if (ours === undefined) continue
    const fastify = rows[routeId(error.id, 'fastify')]
    const sensible = rows[routeId(error.id, 'sensible')]
    const vsFastify = fastify === undefined ? undefined : compare(ours, fastify)
    const vsSensible = sensible === undefined ? undefined : compare(ours, sensible)
    console.log(`${pad(error.label, 34)}${lpad(fixed(ours.cpuPerRequest, 1), 7)}${lpad(fixed(fastify?.cpuPerRequest, 1), 9)}${lpad(fixed(sensible?.cpuPerRequest, 1), 10)}` +
      `${lpad(fixed(vsFastify?.cpuRatio), 16)}${lpad(fixed(vsFastify?.rpsRatio), 7)}${lpad(fixed(vsSensible?.cpuRatio), 17)}${lpad(fixed(vsSensible?.rpsRatio), 7)}`)
  }
  console.log('\ntargets (CPU time per request; the range is round by round: met when every round meets it, parity when the rounds straddle it)')
  for (const t of targets) {
    const mark = !t.required ? 'info  ' : t.verdict === 'met' ? 'met   ' : t.verdict === 'MISS' ? 'MISS  ' : 'parity'
    console.log(`  ${mark} ${pad(t.name, 50)} cpu ${t.cpuRatio.toFixed(2)} (${t.low.toFixed(2)}–${t.high.toFixed(2)})  req/s ${t.rpsRatio.toFixed(2)}  (≥ ${t.min.toFixed(2)})`)
  }
}

function runMemory () {
  return new Promise((resolve, reject) => {
    const child = fork(here + 'memory.js', ['--count', String(options.memoryCount), '--json'], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    let report
    child.on('message', (message) => { report = message })
    child.on('exit', (code) => report !== undefined ? resolve(report) : reject(new Error('bench/memory.js failed with code ' + code)))
  })
}

const started = Date.now()
console.log(`fastify-problem-details bench: node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ` +
  `${options.connections} connections, ${options.rounds} × ${options.duration}s a route after ${options.warmup}s warm-up, ` +
  `each after ${options.prewarm}s unmeasured, servers with NODE_ENV=${options.env}`)

const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  loadavg: os.loadavg(),
  options,
  passes: {},
  memory: undefined
}
let failed = false
for (const logger of options.loggers) {
  const rows = await runPass(logger)
  const targets = evaluate(rows)
  printPass(logger, rows, targets)
  results.passes[logger] = { rows, targets }
  if (targets.some((t) => t.required && t.verdict !== 'met')) failed = true
}

if (!args['no-memory']) {
  const memory = await runMemory()
  results.memory = memory
  console.log(`\nmemory: ${memory.count.toLocaleString('en')} error responses grew the heap by ${memory.growthMB.toFixed(2)} MB after a forced GC (limit 5 MB): ${memory.growthMB < 5 ? 'met' : 'MISS'}`)
  // Not a noisy figure, unlike the ratios: a leak fails the run.
  if (memory.growthMB >= 5) process.exitCode = 1
}

console.log(`\n${((Date.now() - started) / 1000).toFixed(0)}s; load average at the end ${os.loadavg().map((n) => n.toFixed(2)).join(' ')} ` +
  '(a shared or busy machine skews ratios: re-run on a quiet one before trusting a MISS)')
if (args.json !== undefined) {
  mkdirSync(dirname(resolve(args.json)), { recursive: true })
  writeFileSync(args.json, JSON.stringify(results, null, 2) + '\n')
  console.log('results written to ' + args.json)
}
if (failed && args.strict) process.exitCode = 1
