import { Conflict } from '../../model/classes.js'
import { fixedProblem, type Problem } from '../../model/problem.js'

/**
 * The answers the database presets share, so PostgreSQL, Prisma and MongoDB
 * say the same thing about the same condition. Fixed problems: made once.
 */
export function databaseProblem (status: number, detail: string, retryAfter?: number): Problem {
  return fixedProblem({ status, detail, retryAfter })
}

const DUPLICATE = databaseProblem(409, 'A resource with the same unique value already exists')

/**
 * A unique violation: `Conflict.duplicate(fields)` naming the fields (never the
 * values), or a generic 409 when the driver did not say which fields.
 */
export function duplicateOf (fields: string | undefined): Problem {
  return fields === undefined ? DUPLICATE : Conflict.duplicate(fields)
}

// RFC 9110 §10.2.3: a transaction that lost a race succeeds when retried at once.
export const RETRY = databaseProblem(503, 'The request conflicted with a concurrent one; retry it', 1)
export const NO_CONNECTION = databaseProblem(503, 'The database has no connection available; retry later')
