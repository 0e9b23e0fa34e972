import { STATUS_CODES } from 'node:http'
import { ABOUT_BLANK, type Extensions } from '../model/problem.js'
import { RESERVED_MEMBERS } from '../model/members.js'
import { reasonPhrase } from '../model/status.js'

/** What one response renders: the problem as this request sees it. */
export interface Rendering {
  status: number
  /** resolved against typeBase */
  type: string
  /** possibly localized */
  title: string
  detail: string | undefined
  instance: string | undefined
  extensions: Extensions | undefined
  /** name of the request-id member, or false */
  requestIdMember: string | false
  /** `request.id` as a string; `undefined` (the member left out) when `genReqId` gave no string or number */
  requestId: string | undefined
  /** name of the trace-id member, or false */
  traceIdMember: string | false
  /** the trace id of the request (docs/observability.md), if it has one */
  traceId: string | undefined
  /**
   * Members of the `extend` option, already cleared of every name the problem
   * or the plugin owns (render.ts): emitted after the problem's own.
   */
  added: Extensions | undefined
  /** Fastify's error code, emitted in `compat: 'fastify'` mode */
  code: string | undefined
  /** Fastify's `message` for the thrown error, emitted in `compat: 'fastify'` mode; else compatMessage() decides */
  message?: string | undefined
  compat: boolean
}

/**
 * A plain problem (RFC 9457 §4.2.1) as a whole JSON body, with no request to
 * answer: the last resort and the raw answers to HTTP parser errors.
 */
export function serializePlain (status: number, detail: string | undefined, compat: boolean): string {
  return serializeJson({
    status,
    type: ABOUT_BLANK,
    title: reasonPhrase(status),
    detail,
    instance: undefined,
    extensions: undefined,
    requestIdMember: false,
    requestId: undefined,
    traceIdMember: false,
    traceId: undefined,
    added: undefined,
    code: undefined,
    compat
  })
}

/** Fastify's default members, emitted in compat mode and so never extension members. */
export const COMPAT_MEMBERS: ReadonlySet<string> = new Set(['statusCode', 'error', 'message', 'code'])

// What JSON must escape in a string (RFC 8259 §7), and surrogates, which
// JSON.stringify escapes when they are lone (ES2019 well-formed stringify).
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/

/**
 * A string as a JSON string, exactly as `JSON.stringify` writes it. Titles,
 * paths and request ids almost never need escaping, and checking that is
 * several times cheaper than calling `JSON.stringify` (docs/benchmarks.md).
 */
function quote (s: string): string {
  if (typeof s !== 'string') return JSON.stringify(s)
  if (s.length < 64) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s)
    }
    return '"' + s + '"'
  }
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"'
}

function bigintAsString (_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

/**
 * One member value as JSON, or `undefined` when it cannot be serialized
 * (cycles, throwing getters or `toJSON`, functions). A BigInt is written as a
 * decimal string: JSON has no integer type that holds it.
 */
export function memberJson (value: unknown): string | undefined {
  // A string member (the common case) takes the cheap path; anything else is
  // JSON.stringify's: a hand-written walker for small plain objects measured
  // only ~20% faster than it, not worth a second serializer (docs/benchmarks.md).
  if (typeof value === 'string') return quote(value)
  try {
    return JSON.stringify(value) as string | undefined
  } catch {
    try {
      return JSON.stringify(value, bigintAsString) as string | undefined
    } catch {
      return undefined
    }
  }
}

/**
 * True for a name no extension member may have: a standard member (RFC 9457
 * §3.1) or another reserved name, the request-id or trace-id member, or, in
 * compat mode, Fastify's members.
 */
export function isOwnedMember (key: string, rendering: Rendering): boolean {
  return RESERVED_MEMBERS.has(key) || key === rendering.requestIdMember || key === rendering.traceIdMember ||
    (rendering.compat && COMPAT_MEMBERS.has(key))
}

/**
 * Names of the extension members that may be emitted, in order: own enumerable
 * keys that are not standard members (RFC 9457 §3.1), the request-id member,
 * compat members or prototype-polluting names.
 */
export function extensionKeys (extensions: Extensions, rendering: Rendering): string[] {
  let keys: string[]
  try {
    keys = Object.keys(extensions)
  } catch {
    return []
  }
  const out: string[] = []
  for (const key of keys) {
    if (isOwnedMember(key, rendering)) continue
    out.push(key)
  }
  return out
}

/**
 * Fastify's `error` member: Node's `http.STATUS_CODES` phrase (`Payload Too
 * Large`, `Unprocessable Entity`), which Fastify and @fastify/sensible send,
 * not RFC 9110's newer titles; `undefined` (left out, as Fastify leaves it
 * out) for a code Node has no phrase for.
 */
export function fastifyPhrase (status: number): string | undefined {
  return STATUS_CODES[status]
}

/**
 * Fastify's `message` in compat mode: the thrown error's own message where
 * Fastify would have sent it (render.ts), else the detail, else what Fastify
 * and @fastify/sensible send without a message: the status phrase (or the
 * title of a problem type of its own).
 */
export function compatMessage (r: Rendering): string {
  if (r.message !== undefined) return r.message
  if (r.detail !== undefined) return r.detail
  return r.type === ABOUT_BLANK ? (fastifyPhrase(r.status) ?? r.title) : r.title
}

/**
 * `{"type":"about:blank","title":…,"status":…` by `status - 400`: most problems
 * are plain status problems (RFC 9457 §4.2.1), whose first three members are
 * fixed by the status, so they are written once, at startup.
 */
const PLAIN_START: readonly string[] = Array.from({ length: 200 }, (_, i) =>
  '{"type":"about:blank","title":' + JSON.stringify(reasonPhrase(400 + i)) + ',"status":' + (400 + i))

/** The problem as `application/problem+json` (RFC 9457 §3): standard members first. */
export function serializeJson (r: Rendering): string {
  const status = r.status
  let out = r.type === ABOUT_BLANK && r.title === reasonPhrase(status) && PLAIN_START[status - 400] !== undefined
    ? PLAIN_START[status - 400]
    : '{"type":' + quote(r.type) + ',"title":' + quote(r.title) + ',"status":' + status
  if (r.detail !== undefined) out += ',"detail":' + quote(r.detail)
  if (r.instance !== undefined) out += ',"instance":' + quote(r.instance)
  if (r.requestIdMember !== false && r.requestId !== undefined) out += ',' + quote(r.requestIdMember) + ':' + quote(r.requestId)
  if (r.traceId !== undefined && r.traceIdMember !== false) out += ',' + quote(r.traceIdMember) + ':"' + r.traceId + '"'
  if (r.compat) {
    const phrase = fastifyPhrase(r.status)
    out += ',"statusCode":' + r.status + (phrase === undefined ? '' : ',"error":' + quote(phrase)) + ',"message":' + quote(compatMessage(r))
    if (r.code !== undefined) out += ',"code":' + quote(r.code)
  }
  const extensions = r.extensions
  if (extensions !== undefined) {
    for (const key of extensionKeys(extensions, r)) {
      let value: unknown
      try {
        value = extensions[key]
      } catch {
        continue
      }
      const json = memberJson(value)
      if (json !== undefined) out += ',' + quote(key) + ':' + json
    }
  }
  const added = r.added
  if (added !== undefined) {
    for (const key in added) {
      const json = memberJson(added[key])
      if (json !== undefined) out += ',' + quote(key) + ':' + json
    }
  }
  return out + '}'
}

/**
 * The problem as a plain object, as the JSON body has it (untranslated): what
 * the `extend` and `onProblem` options are given. Built only when they are set.
 */
export function documentOf (r: Rendering): Record<string, unknown> {
  const doc: Record<string, unknown> = { type: r.type, title: r.title, status: r.status }
  if (r.detail !== undefined) doc.detail = r.detail
  if (r.instance !== undefined) doc.instance = r.instance
  if (r.requestIdMember !== false && r.requestId !== undefined) doc[r.requestIdMember] = r.requestId
  if (r.traceId !== undefined && r.traceIdMember !== false) doc[r.traceIdMember] = r.traceId
  const extensions = r.extensions
  if (extensions !== undefined) {
    for (const key of extensionKeys(extensions, r)) {
      try {
        doc[key] = extensions[key]
      } catch {
        // A throwing getter: left out, as the body leaves it out.
      }
    }
  }
  const added = r.added
  if (added !== undefined) {
    for (const key in added) doc[key] = added[key]
  }
  return doc
}
