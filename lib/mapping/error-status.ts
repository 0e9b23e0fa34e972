import { STATUS_CODES } from 'node:http'
import { isErrorStatus } from '../model/status.js'

/**
 * What an error says about its own status and message: the one rule the
 * built-in status mapping, the load-shedding mapping and the network preset
 * share.
 */
export interface StatusShaped { statusCode?: unknown, status?: unknown, expose?: unknown, message?: unknown, headers?: unknown }

/**
 * The status an error carries itself: `statusCode` (Fastify's errors, plain
 * errors), or http-errors' `status` together with its `expose` flag. `status`
 * alone is not trusted: an HTTP client's error (axios) carries the upstream's
 * status there.
 */
export function ownStatus (error: StatusShaped): number | undefined {
  if (isErrorStatus(error.statusCode)) return error.statusCode
  return typeof error.expose === 'boolean' && isErrorStatus(error.status) ? error.status : undefined
}

/**
 * The error's message where it is meant for the client: `expose: true`, or a
 * 4xx that does not say `expose: false`. A message that only repeats the
 * status phrase (http-errors' default, `Not Found`) is no detail: the title
 * says it, and a detail is about this occurrence (RFC 9457 §3.1.4).
 */
export function publicMessage (error: StatusShaped, status: number): string | undefined {
  const message = error.message
  const shown = error.expose === true || (error.expose !== false && status < 500)
  return shown && typeof message === 'string' && message !== '' && message !== STATUS_CODES[status] ? message : undefined
}
