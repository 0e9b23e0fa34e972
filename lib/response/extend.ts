import type { FastifyRequest } from 'fastify'
import type { Extensions } from '../model/problem.js'
import { STANDARD_MEMBERS } from '../model/members.js'
import { documentOf, isOwnedMember, type Rendering } from './serialize.js'
import { logFailureOnce, type Notices } from './log.js'

/** The `extend` option: members added to every problem (docs/observability.md). */
export type ExtendHook = (request: FastifyRequest, problem: Readonly<Record<string, unknown>>) => Record<string, unknown> | undefined

/** What the `extend` step needs of an app's settings. */
export interface ExtendSettings {
  readonly extend: ExtendHook | undefined
  /** Outside production (`NODE_ENV`), the plugin warns about what it ignores. */
  readonly development: boolean
  readonly notices: Notices
}

const hasOwn = Object.prototype.hasOwnProperty

function warnOnce (request: FastifyRequest, settings: ExtendSettings, key: string, message: string): void {
  if (settings.development && settings.notices.first('extend\0' + key)) request.log.warn('fastify-problem-details: ' + message)
}

/** True when the problem's own extension members have `key` (they win over `extend`'s). */
function problemHas (extensions: Extensions | undefined, key: string): boolean {
  try {
    return extensions !== undefined && hasOwn.call(extensions, key)
  } catch {
    return false
  }
}

/**
 * The members `extend` adds to this problem, read once into a fresh object:
 * standard members and the status are the problem's (RFC 9457 §3.1: an
 * extension cannot redefine them), names the plugin owns (request and trace
 * id, compat members) are the plugin's, and the problem's own extension
 * members win over `extend`'s. Ignoring a standard or owned member warns once
 * in development; a throwing `extend` costs the response only its members.
 */
export function extendMembers (extend: ExtendHook, request: FastifyRequest, rendering: Rendering, settings: ExtendSettings): Extensions | undefined {
  let returned: unknown
  try {
    returned = extend(request, documentOf(rendering))
  } catch (err) {
    logFailureOnce(request, settings.notices, 'extend', 'warn', err, 'fastify-problem-details: the extend option threw; its members are left out')
    return undefined
  }
  if (returned === undefined) return undefined
  if (returned === null || typeof returned !== 'object' || Array.isArray(returned) || typeof (returned as { then?: unknown }).then === 'function') {
    warnOnce(request, settings, '(shape)', 'the extend option must return an object of members or undefined, synchronously; what it returned is ignored')
    return undefined
  }
  let keys: string[]
  try {
    keys = Object.keys(returned)
  } catch {
    return undefined
  }
  let added: Extensions | undefined
  for (const key of keys) {
    if (isOwnedMember(key, rendering)) {
      const what = STANDARD_MEMBERS.has(key) ? 'a standard member' : 'a member the plugin owns'
      warnOnce(request, settings, key, `the extend option returned "${key}", ${what}; it is ignored (docs/observability.md#extend)`)
      continue
    }
    if (problemHas(rendering.extensions, key)) continue
    try {
      (added ??= Object.create(null) as Extensions)[key] = (returned as Extensions)[key]
    } catch {
      // A throwing getter: that member is left out.
    }
  }
  return added
}
