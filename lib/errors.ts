/**
 * The errors the plugin throws at startup. This module imports nothing, so
 * every layer can throw them without an import running against the layers.
 */

/** A registration error for a setup that would break later. */
export class RegistrationError extends Error {
  readonly code = 'FST_PROBLEM_DETAILS_REGISTRATION'
  constructor (message: string) {
    super('fastify-problem-details: ' + message)
    this.name = 'RegistrationError'
  }
}

/** A registration error that names the option and what it accepts. */
export class OptionError extends TypeError {
  readonly code = 'FST_PROBLEM_DETAILS_OPTION'
  constructor (option: string, expected: string, got: unknown) {
    super(`fastify-problem-details: option "${option}" must be ${expected} (got ${describeValue(got)})`)
    this.name = 'OptionError'
  }
}

function describeValue (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  return String(value)
}
