import type { TObject } from '@sinclair/typebox'
import type { ProblemError, ProblemHeaders } from './problem.js'
import { normalizeTypeBase, resolveTypeAgainst } from './type-uri.js'

/** Any class from `defineProblem()`, whatever its extension schema. */
export interface ProblemTypeClass {
  new (...args: any[]): ProblemError
  readonly type: string
  readonly status: number
  readonly title: string
  readonly description: string | undefined
  readonly headers: ProblemHeaders | undefined
  readonly extensions: TObject | undefined
  readonly schemaId: string
  readonly schema: TObject
}

/**
 * The problem-type catalogue: every type defined with `defineProblem()`, in
 * definition order. Definitions are process-wide, so one definition serves
 * every app; each app resolves relative types against its own `typeBase`.
 */
export interface ProblemTypeEntry {
  /** The `type` as defined (relative or absolute). */
  readonly type: string
  readonly status: number
  readonly title: string
  readonly description: string | undefined
  /** The class `defineProblem()` returned. */
  readonly problemClass: ProblemTypeClass
  /** The TypeBox schema of the extension members, if any. */
  readonly extensions: TObject | undefined
  /** Headers every problem of this type is sent with. */
  readonly headers: ProblemHeaders | undefined
  /** `$id` of the type's response schema (docs/problem-types.md#schema-ids). */
  readonly schemaId: string
  /** The response schema: the standard members and the extension members. */
  readonly schema: TObject
}

export const catalogue: ProblemTypeEntry[] = []

/** Entries by the `type` as defined. */
const byType = new Map<string, ProblemTypeEntry>()
/** Entries by resolved `type`, per `typeBase`, rebuilt when the catalogue grows. */
const byBase = new Map<string, { size: number, entries: Map<string, ProblemTypeEntry> }>()

/** Adds a definition, or replaces the one of the same `type` in place. */
export function addProblemType (entry: ProblemTypeEntry): void {
  const previous = byType.get(entry.type)
  if (previous === undefined) {
    catalogue.push(entry)
  } else {
    catalogue[catalogue.indexOf(previous)] = entry
    byBase.clear()
  }
  byType.set(entry.type, entry)
}

/** The entry defined with exactly this `type`, as written in the definition. */
export function definedType (type: string): ProblemTypeEntry | undefined {
  return byType.get(type)
}

/**
 * The defined type a problem response's `type` stands for: the type as
 * defined, or, given the `typeBase` the answering app resolves types against
 * (absolute or path-only), a relative definition resolved against it.
 * Used by the client helpers to give back an instance of the right class.
 * Throws `OptionError` for a `typeBase` the plugin option would refuse.
 */
export function findProblemType (typeUri: string, typeBase?: string): ProblemTypeEntry | undefined {
  const exact = byType.get(typeUri)
  if (exact !== undefined || typeBase === undefined) return exact
  const base = normalizeTypeBase(typeBase) as string
  let resolved = byBase.get(base)
  if (resolved === undefined || resolved.size !== catalogue.length) {
    const entries = new Map<string, ProblemTypeEntry>()
    for (const entry of catalogue) entries.set(resolveTypeAgainst(entry.type, base), entry)
    resolved = { size: catalogue.length, entries }
    // A client talks to few APIs; the bound keeps a misuse from growing the map.
    if (byBase.size >= 100) byBase.clear()
    byBase.set(base, resolved)
  }
  return resolved.entries.get(typeUri)
}
