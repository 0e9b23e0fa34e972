import type { LayerBuilder } from '../registry.js'
import type { Problem } from '../../model/problem.js'
import { duplicateOf } from './database.js'
import { logWithError } from '../log-marks.js'

/**
 * The `mongodb` preset (docs/presets.md#mongodb): `MongoServerError` by its
 * numeric `code` (the registry matches 11000 against `'11000'`). The field
 * names come from `keyPattern`; `keyValue` and the message (`dup key: { … }`)
 * carry the values and are never read.
 */

interface MongoError {
  keyPattern?: unknown
}

/** A field path such as `email` or `profile.email`; anything else is left out. */
const FIELD = /^[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*$/

function patternFields (error: MongoError): string | undefined {
  const pattern = error.keyPattern
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) return undefined
  const fields = Object.keys(pattern)
  if (fields.length === 0) return undefined
  for (const field of fields) {
    if (!FIELD.test(field)) return undefined
  }
  return fields.join(', ')
}

/** E11000 duplicate key → 409 with the key's fields, as `Conflict.duplicate` answers. */
function duplicateKey (error: MongoError): Problem {
  logWithError(error as object)
  const fields = patternFields(error)
  return duplicateOf(fields)
}

/** Adds the `mongodb` preset's mappings to a preset layer. */
export function addMongodbPreset (layer: LayerBuilder): void {
  layer.add('11000', duplicateKey)
  // 11001: the same duplicate key error from older servers' update paths.
  layer.add('11001', duplicateKey)
}
