import { ProblemError } from './problem.js'
import { escapePointerToken, pointerFragment } from './pointer.js'

/**
 * One entry of a validation problem's `errors` member, the shape RFC 9457 §3
 * uses in its example: what is wrong, and a JSON Pointer (as a URI fragment)
 * to where it is wrong in the request.
 */
export interface ValidationErrorEntry {
  detail: string
  pointer?: string
  [member: string]: unknown
}

/**
 * A request that failed validation: status 400, or the plugin's `validationStatus`
 * (422) when sent through the plugin.
 */
export class ValidationProblem extends ProblemError<{ errors: ValidationErrorEntry[] }> {
  constructor (errors: ValidationErrorEntry[], detail?: string) {
    super({
      status: 400,
      detail: typeof detail === 'string' ? detail : 'The request is not valid',
      extensions: { errors: Array.isArray(errors) ? errors : [] }
    })
  }
}
Object.defineProperty(ValidationProblem.prototype, 'name', { value: 'ValidationProblem', writable: true, configurable: true })

/** The parts of an Ajv error the conversion reads. */
interface AjvErrorLike {
  instancePath?: unknown
  message?: unknown
  keyword?: unknown
  params?: Record<string, unknown>
}

/** The request part names Fastify validates, as they appear in the pointer. */
const PARTS: Record<string, string> = {
  body: 'body',
  querystring: 'querystring',
  query: 'querystring',
  params: 'params',
  headers: 'headers'
}

/**
 * Ajv points `required` and `additionalProperties` errors at the parent object;
 * the member the client must fix is named in `params`.
 */
function childOf (error: AjvErrorLike): string | undefined {
  const params = error.params
  if (params === null || typeof params !== 'object') return undefined
  const name = params.missingProperty ?? params.additionalProperty ?? params.propertyName
  return typeof name === 'string' ? name : undefined
}

/** TypeBox 1.x's `params.requiredProperties` / `params.additionalProperties` lists. */
function manyOf (error: AjvErrorLike): { names: string[], required: boolean } | undefined {
  const params = error.params
  if (params === null || typeof params !== 'object') return undefined
  const required = params.requiredProperties
  const list = Array.isArray(required) ? required : params.additionalProperties
  if (!Array.isArray(list) || list.length === 0 || !list.every((name) => typeof name === 'string')) return undefined
  return { names: list as string[], required: list === required }
}

/**
 * Fastify's validation error (`FST_ERR_VALIDATION`, with `validation` and
 * `validationContext`) as `errors[]`: one entry per Ajv error, with a pointer
 * into the request part (`#/body/email`, `#/querystring/limit`).
 */
export function validationEntries (validation: unknown, context: unknown): ValidationErrorEntry[] {
  if (!Array.isArray(validation)) return []
  const part = typeof context === 'string' ? (PARTS[context] ?? 'body') : 'body'
  const entries: ValidationErrorEntry[] = []
  for (const error of validation as AjvErrorLike[]) {
    if (error === null || typeof error !== 'object') continue
    let path = '/' + part + (typeof error.instancePath === 'string' ? error.instancePath : '')
    // TypeBox 1.x (the validator compiler of @fastify/type-provider-typebox 6)
    // names every missing or extra member in one error: one entry each, as Ajv gives.
    const members = manyOf(error)
    if (members !== undefined) {
      for (const name of members.names) {
        entries.push({ detail: members.required ? `must have required property '${name}'` : String(error.message ?? 'is not valid'), pointer: pointerFragment(path + '/' + escapePointerToken(name)) })
      }
      continue
    }
    const child = childOf(error)
    if (child !== undefined) path += '/' + escapePointerToken(child)
    entries.push({
      detail: typeof error.message === 'string' ? error.message : 'is not valid',
      pointer: pointerFragment(path)
    })
  }
  return entries
}
