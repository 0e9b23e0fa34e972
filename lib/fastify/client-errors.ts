import type { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { registrySettings, type ProblemRegistry } from '../mapping/registry.js'
import type { Settings } from './options.js'
import { reasonPhrase } from '../model/status.js'
import { serializePlain } from '../response/serialize.js'

/**
 * The status and detail for an error of Node's HTTP parser or server, as
 * Node's own default answer chooses them (`socketOnError` in
 * lib/_http_server.js): too large headers 431, too large chunk extensions
 * 413, a request not received in time 408, anything else (bad bytes, a
 * malformed request line or header, an unsupported transfer coding) 400.
 */
function statusOf (code: unknown): { status: number, detail: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, detail: 'The request\'s header fields are larger than this server accepts.' }
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, detail: 'The request\'s chunk extensions are larger than this server accepts.' }
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, detail: 'The request was not received in time.' }
    default:
      return { status: 400, detail: 'The request is not valid HTTP/1.1.' }
  }
}

/** The raw response: the connection closes after it, as the parser's state is lost. */
function rawResponse (status: number, detail: string, compat: boolean): string {
  const body = serializePlain(status, detail, compat)
  return `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n` +
    'Content-Type: application/problem+json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    'Connection: close\r\n\r\n' + body
}

/**
 * Fastify's `clientErrorHandler` server option, answering problems.
 *
 * Errors of Node's HTTP parser (bytes that are no HTTP, headers over
 * `maxHeaderSize`, a request that times out) happen before there is a
 * request, so neither a route nor the error handler sees them: Node emits
 * `clientError` on the server with the raw socket. This handler writes an
 * `application/problem+json` response on it (`about:blank`, the status's
 * title, a fixed detail; Fastify's members too in `compat: 'fastify'` mode)
 * and closes the connection, as Node and Fastify do.
 *
 * Nothing is written when the socket can no longer take a response: it is
 * not writable, the error is a reset (`ECONNRESET`), or a response on this
 * connection has already started (Node's own rule: writing would corrupt it).
 *
 * ```js
 * import problemDetails, { clientErrors } from 'fastify-problem-details'
 * const app = Fastify({ clientErrorHandler: clientErrors })
 * await app.register(problemDetails)
 * ```
 */
export function clientErrors (this: FastifyInstance, error: Error & { code?: unknown }, socket: Duplex): void {
  const code = error?.code
  if (code === 'ECONNRESET' || socket.destroyed) return
  const { status, detail } = statusOf(code)
  // Like Fastify's default: most of these are scanners or load balancer
  // misconfiguration, not worth more than a debug line.
  this.log.debug({ err: error }, `fastify-problem-details: client error answered with ${status}`)
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && inFlight?.headersSent !== true) {
    const registry = (this as unknown as { problemDetails?: ProblemRegistry }).problemDetails
    const compat = registry !== undefined && (registrySettings(registry) as Settings).compat === 'fastify'
    socket.write(rawResponse(status, detail, compat))
  }
  socket.destroy(error)
}
