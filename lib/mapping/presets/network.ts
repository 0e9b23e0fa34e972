import type { FastifyRequest } from 'fastify'
import type { LayerBuilder } from '../registry.js'
import { fixedProblem, type Problem } from '../../model/problem.js'
import { ownStatus } from '../error-status.js'

/**
 * The `network` preset (docs/presets.md#network): failed upstream calls made
 * with global `fetch`, undici or `node:http`. The error messages name the host,
 * port or URL that failed, so every answer has a fixed detail and nothing of
 * the error; the full error goes to the log with the 5xx line.
 *
 * - cannot connect (refused, no such host, DNS failing, unreachable) → 503: this
 *   service cannot serve the request now, the dependency may be back later
 *   (RFC 9110 §15.6.4);
 * - the connection broke during the exchange → 502: the upstream gave no valid
 *   answer (RFC 9110 §15.6.3);
 * - no answer in time → 504 (RFC 9110 §15.6.5).
 */

/** Shared with the database presets: a dependency that cannot be connected to. */
export const UNAVAILABLE: Problem = fixedProblem({
  status: 503,
  detail: 'A service this API depends on is not available; retry later'
})
const BROKEN: Problem = fixedProblem({
  status: 502,
  detail: 'A service this API depends on did not give a valid answer'
})
const TIMED_OUT: Problem = fixedProblem({
  status: 504,
  detail: 'A service this API depends on did not answer in time'
})

/** Connection failures the database presets claim too (pg raises Node's socket errors as they are). */
export const UNREACHABLE_CODES: readonly string[] = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']

/** Node's and undici's error codes → the answer. */
const BY_CODE = new Map<string, Problem>([
  ...UNREACHABLE_CODES.map((code): [string, Problem] => [code, UNAVAILABLE]),
  // node:http's 'socket hang up' and a reset mid-response; undici's 'other side closed'.
  ['ECONNRESET', BROKEN],
  ['UND_ERR_SOCKET', BROKEN],
  ['ETIMEDOUT', TIMED_OUT],
  ['UND_ERR_CONNECT_TIMEOUT', TIMED_OUT],
  ['UND_ERR_HEADERS_TIMEOUT', TIMED_OUT],
  ['UND_ERR_BODY_TIMEOUT', TIMED_OUT],
  // Node's AbortError (node:http and others given an AbortSignal).
  ['ABORT_ERR', TIMED_OUT]
])

/**
 * DOMException names: `AbortSignal.timeout()` aborts with a `TimeoutError`,
 * which global `fetch` rejects with as it is; an `AbortError` is a call
 * abandoned before it answered, which is a deadline in an API.
 */
const BY_NAME = new Map<string, Problem>([
  ['TimeoutError', TIMED_OUT],
  ['AbortError', TIMED_OUT]
])

/** How deep the `cause` chain is followed: fetch wraps once, user code maybe once or twice more. */
const MAX_CAUSE_DEPTH = 4

/**
 * An upstream failure at the top or somewhere in the `cause` chain: global
 * `fetch` rejects with `TypeError: fetch failed` whose `cause` holds the code.
 * An error with an HTTP status of its own is left to the mapping of that status.
 */
function wrappedFailure (error: object): Problem | undefined {
  if (ownStatus(error) !== undefined) return undefined
  let current: unknown = error
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (current === null || typeof current !== 'object') return undefined
    const { code, name } = current as { code?: unknown, name?: unknown }
    const problem = (typeof code === 'string' ? BY_CODE.get(code) : undefined) ??
      (typeof name === 'string' ? BY_NAME.get(name) : undefined)
    if (problem !== undefined) return problem
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

function isObject (error: unknown): error is object {
  return error !== null && typeof error === 'object'
}

/** Adds the `network` preset's mappings to a preset layer. */
export function addNetworkPreset (layer: LayerBuilder): void {
  for (const [code, problem] of BY_CODE) layer.add(code, () => problem)
  layer.add(isObject, (error: object, _request: FastifyRequest) => wrappedFailure(error))
}
