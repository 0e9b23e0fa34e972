/**
 * One walk over a route's response schemas, for the two readers of their
 * `$ref`s: the OpenAPI shaping (which defined types a route documents) and the
 * contract check (which problems a route declares).
 *
 * Route schemas are the user's objects and may be anything: Zod schemas are
 * objects whose getters can throw, and one schema object may be shared by many
 * routes or refer to itself. So a property that cannot be read is skipped,
 * the walk stops at a depth, and a `seen` set (per app, across calls) visits
 * each object once.
 */

export interface SchemaVisitor {
  /** Called for each object before its members; `false` skips its members. */
  enter?: (node: Record<string, unknown>) => boolean | undefined
  /** A `$ref`, with the `$id` it names (`'OutOfCreditProblem#/properties/x'` → `'OutOfCreditProblem'`). */
  ref?: (id: string) => void
  /** An `$id`: a schema given in place rather than by reference. */
  id?: (id: string) => void
}

/** How deep a schema is searched; problem responses sit a few levels down. */
const MAX_DEPTH = 32

/** The `$id` a `$ref` names: `'OutOfCreditProblem#'`, `'OutOfCreditProblem'`, `'OutOfCreditProblem#/properties/balance'`. */
export function refId (ref: string): string {
  const hash = ref.indexOf('#')
  return hash === -1 ? ref : ref.slice(0, hash)
}

/** Walks `value` depth first, calling `visitor` for each object, `$ref` and `$id`. */
export function walkSchema (value: unknown, visitor: SchemaVisitor, seen: WeakSet<object> = new WeakSet(), depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH || seen.has(value)) return
  seen.add(value)
  const node = value as Record<string, unknown>
  if (visitor.enter !== undefined) {
    let go: boolean | undefined
    try {
      go = visitor.enter(node)
    } catch {
      // A schema object of another kind, with getters that throw: not ours.
      return
    }
    if (go === false) return
  }
  for (const key of Object.keys(node)) {
    let child: unknown
    try {
      child = node[key]
    } catch {
      continue
    }
    if (typeof child === 'string') {
      if (key === '$ref') visitor.ref?.(refId(child))
      else if (key === '$id') visitor.id?.(child)
    } else {
      walkSchema(child, visitor, seen, depth + 1)
    }
  }
}
