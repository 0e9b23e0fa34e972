import type { MappingSettings } from './settings.js'
import { GENERIC_500, type Problem } from '../model/problem.js'

export { GENERIC_500 }

/**
 * The problem for an error nothing maps: the generic 500, or with
 * `exposeDetails` (development only) its message, stack and cause chain.
 */
export function unexpectedProblem (error: unknown, settings: MappingSettings, failure?: unknown): Problem {
  if (!settings.exposeDetails) return failure === undefined ? GENERIC_500 : { ...GENERIC_500, failure }
  let detail: string | undefined
  let debug: unknown
  try {
    debug = describe(error, 0)
    detail = error instanceof Error ? error.message : undefined
  } catch {
    debug = { name: 'unknown' }
  }
  return { ...GENERIC_500, detail, extensions: { debug }, failure }
}

/**
 * A thrown value as plain data (name, message, stack, cause chain): for the
 * `debug` member and for log fields that pino's `err` serializer does not cover.
 */
export function describe (error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return { value: typeof error === 'string' ? error : typeof error }
  const out: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack }
  // Bounded: a cause chain can be a cycle.
  if (error.cause !== undefined && depth < 8) out.cause = describe(error.cause, depth + 1)
  return out
}
