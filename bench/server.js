// The server under test, in a process of its own so the load generator does not
// share its event loop: `node bench/server.js <kind> <off|info>`. Forked by
// bench/run.js; listens on 127.0.0.1 port 0 and reports the port over IPC.
import { buildApp } from './apps.js'

const [kind = 'problem', logger = 'off'] = process.argv.slice(2)
const app = await buildApp(kind, logger)
await app.listen({ host: '127.0.0.1', port: 0 })
const { port } = app.server.address()

async function stop () {
  await app.close()
  // A normal exit, so `--cpu-prof` writes its profile.
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('disconnect', stop)

// The runner asks for this process's CPU time around each load run: CPU per
// request is the server's own cost, which a busy machine disturbs far less than
// requests per second.
process.on('message', (message) => {
  if (message !== 'cpu') return
  const usage = process.cpuUsage()
  process.send({ cpu: usage.user + usage.system })
})

if (process.send) process.send({ port })
else console.log(`${kind} (logger ${logger}) listening on http://127.0.0.1:${port}`)
