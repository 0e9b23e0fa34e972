import type { FastifyInstance, FastifySchemaValidationError } from 'fastify'

/** Fastify's `SchemaErrorFormatter` (not exported by name from the package root). */
type SchemaErrorFormatter = Parameters<FastifyInstance['setSchemaErrorFormatter']>[0]

const SEPARATOR = ', '

/**
 * The `schemaErrorFormatter` the plugin sets when the app has none: the same
 * message as Fastify's default (`querystring/limit must be integer, …`) and
 * the same plain `Error`, without a stack. Fastify adds `statusCode`, `code`
 * (`FST_ERR_VALIDATION`), `validation` and `validationContext`, from which the
 * built-in mapping builds `errors[]` as before.
 *
 * Fastify's default formatter builds it with `new Error(text)`, and capturing
 * the stack is the largest single cost of a validation failure (several µs at
 * the depth of Fastify's validation step, docs/benchmarks.md) for frames that
 * are only ever Fastify's own. Made the way `ProblemError` makes 4xx problems
 * (lib/model/problem.ts): with `Error.stackTraceLimit` at 0 for the
 * construction, so `stack` is the first line alone.
 */
export function formatSchemaErrors (errors: FastifySchemaValidationError[], dataVar: Parameters<SchemaErrorFormatter>[1]): Error {
  let text = ''
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i]
    text += (i === 0 ? '' : SEPARATOR) + dataVar + (e.instancePath || '') + ' ' + e.message
  }
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  const error = new Error(text)
  Error.stackTraceLimit = limit
  return error
}

/** Fastify's own symbol for the instance's formatter; its description is all that names it. */
const FORMATTER_SYMBOL_DESCRIPTION = 'fastify.schemaErrorFormatter'

/**
 * The formatter this instance (or an ancestor) has: `null` when none is set,
 * `undefined` when it cannot be told (then the plugin sets nothing).
 *
 * Fastify keeps the `schemaErrorFormatter` server option and
 * `setSchemaErrorFormatter()` behind a symbol with no public getter. It is
 * found by its description, read only, never written: if a Fastify release
 * renames it, the plugin leaves Fastify's default formatter in place (a
 * stack is captured again; every answer stays the same).
 */
function formatterOf (instance: object): unknown {
  for (let o: object | null = instance; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Object.getOwnPropertySymbols(o)) {
      if (key.description === FORMATTER_SYMBOL_DESCRIPTION) return (o as Record<symbol, unknown>)[key]
    }
  }
  return undefined
}

/**
 * Sets the stack-free formatter on the instance the plugin is registered on,
 * unless the app has a formatter of its own (the server option, or
 * `setSchemaErrorFormatter()` before the plugin). A route's own
 * `schemaErrorFormatter`, and `setSchemaErrorFormatter()` after the plugin
 * (on the same instance or in a child), take precedence as Fastify always gives it.
 */
export function installSchemaErrorFormatter (fastify: FastifyInstance): void {
  if (formatterOf(fastify) === null) fastify.setSchemaErrorFormatter(formatSchemaErrors)
}
