import type { LayerBuilder } from '../registry.js'
import type { Problem } from '../../model/problem.js'
import { databaseProblem, duplicateOf, NO_CONNECTION, RETRY } from './database.js'
import { logWithError } from '../log-marks.js'

/**
 * The `prisma` preset (docs/presets.md#prisma): `PrismaClientKnownRequestError`
 * by its `code`. Prisma's messages quote the query and the values, so every
 * answer has a fixed detail; only the field names of `meta.target` (a unique
 * constraint's fields) are sent, never an index or constraint name.
 */

interface PrismaError {
  code?: unknown
  meta?: { target?: unknown } | null
}

/** A Prisma field name; anything else in `meta.target` (an index name string) is left out. */
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The fields of `meta.target` when it is a list of field names. */
function targetFields (error: PrismaError): string | undefined {
  const meta = error.meta
  if (meta === null || typeof meta !== 'object') return undefined
  const target = meta.target
  if (!Array.isArray(target) || target.length === 0) return undefined
  for (const field of target) {
    if (typeof field !== 'string' || !FIELD.test(field)) return undefined
  }
  return target.join(', ')
}

/**
 * P2003 is raised both for a write that refers to a missing record and for a
 * delete of a record others refer to; Prisma does not say which, and both
 * conflict with the current state of the resources: 409.
 */
const RELATION = databaseProblem(409, 'The request conflicts with a relation between resources')
const NOT_FOUND = databaseProblem(404, 'The resource was not found')

/** P2002 unique constraint failed → 409 with the fields, as `Conflict.duplicate` answers. */
function uniqueFailed (error: PrismaError): Problem {
  logWithError(error)
  const fields = targetFields(error)
  return duplicateOf(fields)
}

/** Adds the `prisma` preset's mappings to a preset layer. */
export function addPrismaPreset (layer: LayerBuilder): void {
  layer.add('P2002', uniqueFailed)
  layer.add('P2003', (error: object) => { logWithError(error); return RELATION })
  // P2025: the record an update, delete or connect needs was not found.
  layer.add('P2025', (error: object) => { logWithError(error); return NOT_FOUND })
  // P2024: timed out fetching a connection from the pool.
  layer.add('P2024', () => NO_CONNECTION)
  // P2034: a write conflict or deadlock; Prisma itself says to retry.
  layer.add('P2034', () => RETRY)
}
