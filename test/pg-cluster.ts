// A throwaway PostgreSQL cluster for the preset tests: initdb into a temporary
// directory, start it on a free loopback port, always stop it and delete it.
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A running cluster: connect as `user` (a superuser) to `database` on `host`:`port`. */
export interface PgCluster {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly database: string
  /** Stops the cluster and deletes its directory; safe to call twice. */
  stop (): Promise<void>
}

/** Anything with tap's `teardown`, so the cluster is stopped when the test ends, also when it fails. */
interface Teardown {
  teardown (fn: () => unknown): void
}

function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')))
    })
  })
}

/**
 * initdb refuses to run as root: as root the cluster belongs to the `postgres`
 * user and its tools run through `runuser`; as anyone else they run directly.
 */
function commandFor (bin: string, tool: string, args: string[]): [string, string[]] {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]]
  return [join(bin, tool), args]
}

/**
 * Starts a cluster with `fsync=off` (a test cluster needs no durability), English
 * messages (`lc_messages=C`), `deadlock_timeout=100ms` so deadlock tests stay
 * short, and the socket directory inside its own temporary directory.
 */
export async function startCluster (t: Teardown): Promise<PgCluster> {
  let bin: string
  try {
    bin = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim()
  } catch (err) {
    throw new Error('the PostgreSQL tests need the server binaries (pg_config, initdb, pg_ctl) on PATH', { cause: err })
  }
  const dir = mkdtempSync(join(tmpdir(), 'fpd-pg-'))
  const data = join(dir, 'data')
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }))
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }))
    chownSync(dir, uid, gid)
  }

  let running = false
  const stopSync = (): void => {
    if (running) {
      running = false
      const [cmd, args] = commandFor(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      spawnSync(cmd, args, { stdio: 'ignore' })
    }
    rmSync(dir, { recursive: true, force: true })
  }
  // A test process that exits or is killed (tap's timeout sends SIGTERM) must not leave a server behind.
  const onSignal = (signal: NodeJS.Signals): void => {
    stopSync()
    process.kill(process.pid, signal)
  }
  process.once('exit', stopSync)
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)

  const stop = async (): Promise<void> => {
    process.removeListener('exit', stopSync)
    process.removeListener('SIGTERM', onSignal)
    process.removeListener('SIGINT', onSignal)
    if (running) {
      running = false
      const [cmd, args] = commandFor(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      await run(cmd, args).catch(() => {})
    }
    rmSync(dir, { recursive: true, force: true })
  }
  t.teardown(stop)

  const [initCmd, initArgs] = commandFor(bin, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'])
  await run(initCmd, initArgs)

  // The port is free when probed; another process could take it before the
  // server binds, so a failed start is retried on a new port.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const options = `-k ${dir} -c fsync=off -p ${port} -c listen_addresses=127.0.0.1 -c max_connections=20 -c deadlock_timeout=100ms -c lc_messages=C`
    const [cmd, args] = commandFor(bin, 'pg_ctl', ['-D', data, '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', options, 'start'])
    try {
      running = true
      await run(cmd, args)
      return { host: '127.0.0.1', port, user: 'postgres', database: 'postgres', stop }
    } catch (err) {
      running = false
      if (attempt >= 2) throw err
    }
  }
}
