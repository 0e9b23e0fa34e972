import net from 'node:net'
import { STATUS_CODES } from 'node:http'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import problemDetails, { type ProblemDetailsOptions } from '../lib/index.js'

/** What the helpers need of a tap test: its teardown, so every app and server is closed when the test ends, also when it fails. */
export interface Teardown { teardown: (fn: () => unknown) => void }

/**
 * A Fastify app without the plugin, closed when the test ends: for comparisons
 * with Fastify's own answers, and for apps that register other plugins first.
 */
export function bare (t: Teardown, server: FastifyServerOptions = {}): FastifyInstance {
  const app = Fastify(server)
  t.teardown(() => app.close())
  return app
}

/**
 * A Fastify app with the plugin registered (the logger off unless `server`
 * asks for one), closed when the test ends. A registration that fails rejects,
 * and the app is still closed.
 */
export async function build (t: Teardown, options: ProblemDetailsOptions = {}, server: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = bare(t, server)
  await app.register(problemDetails, options)
  return app
}

/** A loopback server on port 0, closed (with every socket it accepted) when the test ends. */
export async function listenRaw (t: Teardown, onConnection: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    onConnection(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  return (server.address() as net.AddressInfo).port
}

/** A port that was just bound and released: connecting to it is refused. */
export async function closedPort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** RFC 9110 §15 reason phrases where they differ from Node's `STATUS_CODES`. */
const RFC_9110_PHRASES: Readonly<Record<number, string>> = {
  413: 'Content Too Large', 414: 'URI Too Long', 416: 'Range Not Satisfiable', 418: "I'm a Teapot", 422: 'Unprocessable Content'
}

/**
 * The title a status problem must carry, from sources independent of the
 * plugin's own table: RFC 9110's phrase, else Node's, else (RFC 9110 §15: an
 * unknown code is treated as x00 of its class) the phrase of 400 or 500.
 */
export function expectedTitle (status: number): string {
  return RFC_9110_PHRASES[status] ?? STATUS_CODES[status] ?? (status < 500 ? 'Bad Request' : 'Internal Server Error')
}

/** An HTTP/1.1 response as read off a raw socket. */
export interface RawResponse {
  statusLine: string
  headerLines: string[]
  /** by lower-case name */
  headers: Record<string, string>
  body: string
  /** the whole response as text */
  raw: string
}

/** Writes `bytes` to a loopback port and reads until the server closes the connection. */
export async function rawExchange (port: number, bytes: string | Buffer, { end = true } = {}): Promise<RawResponse> {
  const socket = net.connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  socket.on('data', (chunk) => chunks.push(chunk))
  await new Promise<void>((resolve, reject) => {
    socket.on('close', () => resolve())
    socket.on('error', reject)
    socket.write(bytes)
    if (end) socket.end()
  })
  const text = Buffer.concat(chunks).toString('utf8')
  const split = text.indexOf('\r\n\r\n')
  const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { statusLine, headerLines, headers, body: text.slice(split + 4), raw: text }
}
