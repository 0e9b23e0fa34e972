import { isDeepStrictEqual } from 'node:util'
import type { Extensions } from '../../model/problem.js'
import { STATUS_TABLE } from '../../model/status.js'
import { HttpProblem, type HttpErrorName, type HttpErrorStatus, type HttpErrorStatuses } from './http-problem.js'

/** A status given as a number or as its decimal string (`'404'`), as @fastify/sensible accepts it. */
export type StatusLike<S extends number = number> = S | `${S}`

/** `fastify.httpErrors`: @fastify/sensible's error factories, giving back problems. */
export type HttpErrors = {
  readonly [N in HttpErrorName]: (message?: string, members?: Extensions) => HttpProblem<HttpErrorStatuses[N]>
} & {
  /** The class of what the factories give back, for `instanceof`. */
  readonly HttpError: typeof HttpProblem
  /**
   * `createError(status, message?, props?)`: `props` are extension members
   * only, never options (a `headers` or `status` in them is not read).
   */
  readonly createError: (status: number, message?: string, props?: Extensions) => HttpProblem
  /** The factory of a status: `getHttpError(404, 'No such user')`, `getHttpError('404')`. */
  readonly getHttpError: GetHttpError
}

/** `httpErrors.getHttpError(status, message?)`, typed by the status given. */
export interface GetHttpError {
  <S extends number>(status: S, message?: string): HttpProblem<S>
  <S extends HttpErrorStatus>(status: `${S}`, message?: string): HttpProblem<S>
  (status: string, message?: string): HttpProblem
}

/** A status argument as a number: `'404'` → 404; anything that is not an error status → 500. */
export function statusOf (status: unknown): number {
  const code = typeof status === 'string' && /^\d{3}$/.test(status) ? Number(status) : status
  return typeof code === 'number' && code >= 400 && code <= 599 && (code | 0) === code ? code : 500
}

/**
 * http-errors' `createError(...args)`, argument by argument: a number is the
 * status, a string the message, an `Error` the cause (logged, never sent), a
 * plain object extension members. Members are only ever emitted.
 */
function createError (...args: unknown[]): HttpProblem {
  let status: number | undefined
  let message: string | undefined
  let members: object | undefined
  let cause: unknown
  for (const arg of args) {
    if (typeof arg === 'number' && status === undefined) status = arg
    else if (typeof arg === 'string' && message === undefined) message = arg
    else if (arg instanceof Error && cause === undefined) cause = arg
    else if (arg !== null && typeof arg === 'object' && members === undefined) members = arg
  }
  return new HttpProblem(statusOf(status), message, members, cause)
}

function getHttpError (status: unknown, message?: string): HttpProblem {
  return new HttpProblem(statusOf(status), message)
}

const factories: Record<string, unknown> = {}
for (const { status, helper } of STATUS_TABLE) {
  factories[helper] = function httpError (message?: string, members?: Extensions): HttpProblem {
    return new HttpProblem(status, message, members)
  }
}
factories.HttpError = HttpProblem
factories.createError = createError
factories.getHttpError = getHttpError

/** The one `httpErrors` object: frozen, stateless, so every app may share it. */
export const httpErrors = Object.freeze(factories) as unknown as HttpErrors

function fail (status: unknown, message: unknown): never {
  throw getHttpError(status, typeof message === 'string' ? message : undefined)
}

function assert (condition: unknown, status?: StatusLike, message?: string): void {
  if (!condition) fail(status, message)
}
assert.ok = assert
assert.equal = function equal (a: unknown, b: unknown, status?: StatusLike, message?: string): void {
  // eslint-disable-next-line eqeqeq
  if (!(a == b)) fail(status, message)
}
assert.notEqual = function notEqual (a: unknown, b: unknown, status?: StatusLike, message?: string): void {
  // eslint-disable-next-line eqeqeq
  if (!(a != b)) fail(status, message)
}
assert.strictEqual = function strictEqual (a: unknown, b: unknown, status?: StatusLike, message?: string): void {
  if (a !== b) fail(status, message)
}
assert.notStrictEqual = function notStrictEqual (a: unknown, b: unknown, status?: StatusLike, message?: string): void {
  if (a === b) fail(status, message)
}
assert.deepEqual = function deepEqual (a: unknown, b: unknown, status?: StatusLike, message?: string): void {
  if (!isDeepStrictEqual(a, b)) fail(status, message)
}
assert.notDeepEqual = function notDeepEqual (a: unknown, b: unknown, status?: StatusLike, message?: string): void {
  if (isDeepStrictEqual(a, b)) fail(status, message)
}

/** The one `assert` function: frozen, stateless. */
export const sensibleAssert = Object.freeze(assert) as unknown as import('fastify').Assert
