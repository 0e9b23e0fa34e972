import { BUILTINS } from './builtins.js'
import { ABOUT_BLANK, fixedProblem, retryAfterValue, type Problem } from './problem.js'
import { reasonPhrase } from './status.js'

/**
 * Built-in mappings for load shedding (docs/presets.md#rate-limiting-and-load-shedding):
 * @fastify/under-pressure, circuit breakers, and the `Retry-After` they carry.
 * They are built-in, not a preset: the contract's built-in table lists them.
 *
 * @fastify/rate-limit needs no mapping of its own: it sets `Retry-After` and
 * the `x-ratelimit-*` headers on the reply, then throws an `Error` with
 * `statusCode` 429 (403 once a client is banned) whose message it wrote itself,
 * which the status-shaped built-in answers; headers set on the reply before an
 * error stay on the problem response.
 *
 * This module is imported for its effect by lib/plugin.ts. It adds to
 * `BUILTINS` after lib/builtins.ts has run, so its predicate is tried before the
 * status-shaped one (a later mapping wins within a rank).
 */

/**
 * @fastify/under-pressure sets status 503 and its `Retry-After` (its
 * `retryAfter` option) on the reply, then fails the request with a
 * `FST_UNDER_PRESSURE` error. The reply's `Retry-After` is kept: the problem
 * sets none, so it does not overwrite the configured one.
 */
const UNDER_PRESSURE: Problem = fixedProblem({
  status: 503,
  detail: 'The server is under too much load to answer; retry later'
})
BUILTINS.add('FST_UNDER_PRESSURE', () => UNDER_PRESSURE)

const CIRCUIT_OPEN_DETAIL = 'The service is temporarily unavailable; retry later'

/**
 * A circuit breaker's error (or any error) carrying `retryAfter`, seconds or a
 * `Date`: 503 with `Retry-After` (RFC 9110 §10.2.3), or 429 when the error says
 * 429. An error with another status of its own is left to that status. The
 * breaker's message names the failing dependency, so a 503 has a fixed detail;
 * a 429's message is public as any 4xx message is, unless `expose: false`.
 */
function retryLater (error: { retryAfter?: unknown, statusCode?: unknown, status?: unknown, message?: unknown, expose?: unknown }): Problem | undefined {
  const retryAfter = retryAfterValue(error.retryAfter)
  if (retryAfter === undefined) return undefined
  const status = error.statusCode ?? (typeof error.expose === 'boolean' ? error.status : undefined) ?? 503
  if (status !== 503 && status !== 429) return undefined
  const message = error.message
  const detail = status === 503
    ? CIRCUIT_OPEN_DETAIL
    : error.expose !== false && typeof message === 'string' && message !== '' ? message : undefined
  return { status, type: ABOUT_BLANK, title: reasonPhrase(status), detail, instance: undefined, extensions: undefined, headers: { 'retry-after': retryAfter } }
}
BUILTINS.add((error: unknown) => error !== null && typeof error === 'object' && (error as { retryAfter?: unknown }).retryAfter !== undefined, retryLater)
