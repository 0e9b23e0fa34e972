import type { LayerBuilder } from '../registry.js'
import { problemFromInit, type Problem } from '../../model/problem.js'
import { databaseProblem, duplicateOf, NO_CONNECTION, RETRY } from './database.js'
import { logWithError } from '../log-marks.js'
import { UNAVAILABLE, UNREACHABLE_CODES } from './network.js'

/**
 * The `postgres` preset (docs/presets.md#postgresql): errors of the `pg` driver
 * by SQLSTATE. Matching is by `code`, so any driver that reports PostgreSQL's
 * SQLSTATE and field names (`column`, `detail`) is served too.
 *
 * What the response may carry: the status, a fixed detail, and the name of the
 * offending column. Never the SQL, the driver's message, the `detail` line
 * (it quotes row values), the constraint or table name, or the host. The full
 * driver error is logged: 5xx lines carry it anyway, and the 4xx answers mark it
 * with `logWithError` so the `info` line carries it too.
 */

interface PgError {
  code?: unknown
  detail?: unknown
  column?: unknown
}

/**
 * The key columns at the start of the `detail` of 23505 and 23503 errors:
 * `Key (email)=(a@example.com) already exists.` Only the part before `)=(` is
 * read; the values after it never are. The wording is PostgreSQL's English
 * (`lc_messages`); with another language the column is left out.
 */
const KEY_COLUMNS = /^Key \((.+?)\)=\(/
/** A plain or quoted SQL identifier; an expression index (`lower(email)`) is not a column. */
const IDENTIFIER = /^(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")$/
const QUOTED_QUOTE = /""/g
/** The 23503 wording for a reference to a row that does not exist (as opposed to "is still referenced"). */
const NOT_PRESENT = ') is not present in table '

function identifier (name: string): string | undefined {
  if (!IDENTIFIER.test(name)) return undefined
  return name.charCodeAt(0) === 34 ? name.slice(1, -1).replace(QUOTED_QUOTE, '"') : name
}

/** `'email'`, or `'tenant_id, email'` for a composite key; `undefined` when not plain columns. */
function keyColumns (detail: unknown): string | undefined {
  if (typeof detail !== 'string') return undefined
  const match = KEY_COLUMNS.exec(detail)
  if (match === null) return undefined
  const names = match[1].split(', ')
  for (let i = 0; i < names.length; i++) {
    const name = identifier(names[i])
    if (name === undefined) return undefined
    names[i] = name
  }
  return names.join(', ')
}

const STILL_REFERENCED = databaseProblem(409, 'The resource is still referenced by other resources')
const MISSING_REFERENCE = databaseProblem(422, 'The request refers to a resource that does not exist')
const MISSING_VALUE = databaseProblem(422, 'A required value is missing')
const CHECK_FAILED = databaseProblem(422, 'A value does not satisfy a rule of this resource')
const DATABASE_UNAVAILABLE = databaseProblem(503, 'The database is not available; retry later')
const DATABASE_TIMEOUT = databaseProblem(504, 'The database did not answer in time')

/** 23505 unique_violation → 409 with the key's column(s) as `field`, as `Conflict.duplicate` answers. */
function uniqueViolation (error: PgError): Problem {
  logWithError(error)
  const columns = keyColumns(error.detail)
  return duplicateOf(columns)
}

/**
 * 23503 foreign_key_violation: a write that refers to a row that does not exist
 * is content the server cannot process (422, with the referring column); a
 * delete or key change of a row others still refer to conflicts with the state
 * of the resource (409). Without English wording to tell them apart: 409.
 */
function foreignKeyViolation (error: PgError): Problem {
  logWithError(error)
  const detail = error.detail
  if (typeof detail !== 'string' || !detail.includes(NOT_PRESENT)) return STILL_REFERENCED
  const columns = keyColumns(detail)
  if (columns === undefined) return MISSING_REFERENCE
  return problemFromInit({ status: 422, detail: `The ${columns} refers to a resource that does not exist`, extensions: { field: columns } })
}

/** 23502 not_null_violation → 422 with the column the driver names. */
function notNullViolation (error: PgError): Problem {
  logWithError(error)
  const column = typeof error.column === 'string' ? identifier(error.column) : undefined
  if (column === undefined) return MISSING_VALUE
  return problemFromInit({ status: 422, detail: `A value for ${column} is required`, extensions: { field: column } })
}

/** Answers that do not depend on the error, logged with it when they are 4xx. */
const FIXED: ReadonlyArray<[string, Problem]> = [
  // 23514 check_violation: the constraint's name and the failing row are internals.
  ['23514', CHECK_FAILED],
  // Class 22, data exception: a value the client sent does not fit its column's type.
  ['22P02', databaseProblem(400, 'A value in the request has the wrong format for its type')],
  ['22001', databaseProblem(400, 'A value in the request is longer than allowed')],
  ['22003', databaseProblem(400, 'A number in the request is out of range')],
  ['22007', databaseProblem(400, 'A date or time in the request is not valid')],
  ['22008', databaseProblem(400, 'A date or time in the request is out of range')],
  // Class 40: serialization_failure, deadlock_detected.
  ['40001', RETRY],
  ['40P01', RETRY],
  // 53300 too_many_connections (also a role's CONNECTION LIMIT).
  ['53300', NO_CONNECTION],
  // Class 57: admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now.
  ['57P01', DATABASE_UNAVAILABLE],
  ['57P02', DATABASE_UNAVAILABLE],
  ['57P03', DATABASE_UNAVAILABLE],
  // 57014 query_canceled: statement_timeout, or a cancel request.
  ['57014', DATABASE_TIMEOUT]
]

/**
 * pg's own connection errors carry no code, only these messages (pg and
 * pg-pool source); they are matched on plain `Error`s only.
 */
const BY_MESSAGE = new Map<string, Problem>([
  ['Connection terminated unexpectedly', DATABASE_UNAVAILABLE],
  ['Connection terminated due to connection timeout', DATABASE_UNAVAILABLE],
  ['timeout exceeded when trying to connect', DATABASE_UNAVAILABLE],
  ['Client has encountered a connection error and is not queryable', DATABASE_UNAVAILABLE],
  // pg's client-side `query_timeout`.
  ['Query read timeout', DATABASE_TIMEOUT]
])

function isPlainError (error: unknown): error is Error {
  return error !== null && typeof error === 'object' && Object.getPrototypeOf(error) === Error.prototype
}

/** Adds the `postgres` preset's mappings to a preset layer. */
export function addPostgresPreset (layer: LayerBuilder): void {
  layer.add('23505', uniqueViolation)
  layer.add('23503', foreignKeyViolation)
  layer.add('23502', notNullViolation)
  for (const [code, problem] of FIXED) {
    layer.add(code, problem.status < 500
      ? (error: object) => { logWithError(error); return problem }
      : () => problem)
  }
  // pg connects with Node's sockets and rejects with their errors as they are.
  for (const code of UNREACHABLE_CODES) layer.add(code, () => UNAVAILABLE)
  layer.add(isPlainError, (error: Error) => BY_MESSAGE.get(error.message))
}
