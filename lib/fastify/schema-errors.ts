import type { FastifyInstance, FastifySchemaValidationError } from 'fastify'

/** Fastify's `SchemaErrorFormatter` (not exported by name from the package root). */
type SchemaErrorFormatter = Parameters<FastifyInstance['setSchemaErrorFormatter']>[0]

/**
 * Fastify's validation error, made without capturing a stack.
 *
 * Fastify's default `schemaErrorFormatter` builds it with `new Error(text)`,
 * and capturing the stack is the largest single cost of a validation failure
 * (about 5 µs at the depth of Fastify's validation step, measured in
 * docs/benchmarks.md), for a stack that only ever names Fastify's own frames.
 * Made with `Object.create`, so `Error`'s constructor never runs: still an
 * `Error` (`instanceof`, `name`, `message`), which Fastify requires to send it
 * on as an error, with `stack` read as the first line of a stack (no frames).
 */
class SchemaValidationError extends Error {}
Object.defineProperty(SchemaValidationError.prototype, 'name', { value: 'Error', writable: true, configurable: true })
Object.defineProperty(SchemaValidationError.prototype, 'stack', {
  get (this: Error): string {
    return this.name + ': ' + this.message
  },
  // `error.stack = …` (a logger, a test helper) sets the error's own stack, as on any Error.
  set (this: Error, value: unknown): void {
    Object.defineProperty(this, 'stack', { value, writable: true, configurable: true, enumerable: false })
  },
  configurable: true
})
Object.freeze(SchemaValidationError.prototype)

const SEPARATOR = ', '

/**
 * The `schemaErrorFormatter` the plugin sets when the app has none: the same
 * message as Fastify's default (`querystring/limit must be integer, …`), the
 * same `Error` shape, no stack. Fastify adds `statusCode`, `code`
 * (`FST_ERR_VALIDATION`), `validation` and `validationContext`, from which the
 * built-in mapping builds `errors[]` as before.
 */
export function formatSchemaErrors (errors: FastifySchemaValidationError[], dataVar: Parameters<SchemaErrorFormatter>[1]): Error {
  let text = ''
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i]
    text += (i === 0 ? '' : SEPARATOR) + dataVar + (e.instancePath || '') + ' ' + e.message
  }
  const error = Object.create(SchemaValidationError.prototype) as Error
  error.message = text
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
