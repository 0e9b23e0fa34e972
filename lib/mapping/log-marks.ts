/**
 * Errors whose 4xx answer is logged with the error itself: the preset mappings
 * mark the driver errors they turn into a 4xx (a unique violation, a bad
 * value), so the log keeps what the response must not carry (docs/presets.md).
 * A WeakSet keyed by the thrown error: nothing is retained once the error is
 * gone, and the mark cannot be set from request data.
 */
const withError = new WeakSet<object>()

/** Marks `error` to be logged in full even when its answer is a 4xx. */
export function logWithError (error: object): void {
  withError.add(error)
}

/** True when a mapping asked for `error` to be logged in full. */
export function isLoggedWithError (error: unknown): boolean {
  return error !== null && typeof error === 'object' && withError.has(error)
}
