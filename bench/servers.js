// The runner's side of the servers under test, shared by bench/run.js,
// bench/profile.js and bench/native-profile.js: each server in a process of its
// own (bench/server.js), its CPU time asked over IPC, and the autocannon
// request of a route.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const serverScript = fileURLToPath(new URL('server.js', import.meta.url))

/**
 * Forks one server kind and waits for its port. `env` is the servers'
 * NODE_ENV: production unless said, the path users deploy (the development-only
 * checks, contractCheck and conformance, are off).
 */
export function startServer (kind, logger, { execArgv = [], env = 'production' } = {}) {
  const child = fork(serverScript, [kind, logger], {
    execArgv,
    env: { ...process.env, NODE_ENV: env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, port: message.port }))
    child.once('exit', (code) => reject(new Error(`the ${kind} server exited with code ${code} before listening`)))
  })
}

/** Stops a server (it closes and exits normally, so `--cpu-prof` writes its profile). */
export function stopServer ({ child }) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', resolve)
    child.disconnect()
  })
}

/** The server's CPU time so far, in microseconds (user + system). */
export function cpuOf ({ child }) {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message.cpu))
    child.send('cpu')
  })
}

/** autocannon's options for driving `route` on a server at `port`. */
export function requestOf (route, port, connections = 50) {
  return {
    url: `http://127.0.0.1:${port}${route.path}`,
    method: route.method ?? 'GET',
    body: route.body,
    headers: route.headers,
    connections
  }
}
