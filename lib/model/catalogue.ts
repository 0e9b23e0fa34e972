import type { TObject } from '@sinclair/typebox'
import type { ProblemError, ProblemHeaders } from './problem.js'
import { normalizeTypeBase, resolveTypeAgainst } from './type-uri.js'
import { BoundedCache, stringBytes } from '../bounded-cache.js'

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

/**
 * Every definition, in definition order. Process-wide: a definition is code,
 * shared by the apps that import it. What one app documents is its own
 * (`fastify.problemDetails.types`, docs/problem-types.md#which-types-an-app-documents);
 * this array is never handed out.
 */
export const catalogue: ProblemTypeEntry[] = []

/** Entries by the `type` as defined. */
const byType = new Map<string, ProblemTypeEntry>()
/** Entries by schema `$id`: what a route's `$ref` names. */
const bySchemaId = new Map<string, ProblemTypeEntry>()
/** Bumped by every definition: what was derived from the catalogue before is stale. */
let version = 0

/**
 * Entries by resolved `type`, per `typeBase`, for the client helpers. A
 * client talks to few APIs; the bounds keep a misuse (a new base on every
 * call) from growing it: 64 bases, 4 MiB.
 */
const byBase = new BoundedCache<{ version: number, entries: Map<string, ProblemTypeEntry> }>(64, 4 * 1024 * 1024, 4 * 1024 * 1024)

/** Adds a definition, or replaces the one of the same `type` in place. */
export function addProblemType (entry: ProblemTypeEntry): void {
  Object.freeze(entry)
  const previous = byType.get(entry.type)
  if (previous === undefined) {
    catalogue.push(entry)
  } else {
    catalogue[catalogue.indexOf(previous)] = entry
    bySchemaId.delete(previous.schemaId)
  }
  byType.set(entry.type, entry)
  bySchemaId.set(entry.schemaId, entry)
  version++
}

/** Changes with every definition. */
export function catalogueVersion (): number {
  return version
}

/** The entry defined with exactly this `type`, as written in the definition. */
export function definedType (type: string): ProblemTypeEntry | undefined {
  return byType.get(type)
}

/** The entry whose schema has this `$id`. */
export function typeBySchemaId (schemaId: string): ProblemTypeEntry | undefined {
  return bySchemaId.get(schemaId)
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
  if (resolved === undefined || resolved.version !== version) {
    const entries = new Map<string, ProblemTypeEntry>()
    let bytes = 0
    for (const entry of catalogue) {
      const uri = resolveTypeAgainst(entry.type, base)
      entries.set(uri, entry)
      bytes += stringBytes(uri) + 32
    }
    resolved = { version, entries }
    byBase.set(base, resolved, bytes)
  }
  return resolved.entries.get(typeUri)
}
