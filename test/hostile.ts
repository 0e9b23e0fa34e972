import { Writable } from 'node:stream'
import createError from 'http-errors'
import { Boom } from '@hapi/boom'
import { ProblemError } from '../lib/index.js'

/**
 * Hostile values for the robustness suites (test/property.test.ts and
 * test/awkward.test.ts). A value is generated as a plain-data *spec* and built
 * only when it is thrown: a counterexample fast-check prints is then readable,
 * and printing it can never trip over a throwing Proxy.
 */

/** How one member of a thrown object is made. */
export type FieldSpec =
  | { kind: 'value', value: unknown }
  /** a getter that throws */
  | { kind: 'throws' }
  /** the object itself (a cycle) */
  | { kind: 'self' }
  /** a 1 MiB string */
  | { kind: 'huge' }
  /** a function that throws (a hostile `toJSON`, `then`, `inspect`) */
  | { kind: 'throwingFn' }
  /** a Proxy that throws from every trap */
  | { kind: 'proxy' }
  /** a revoked Proxy: every operation on it throws */
  | { kind: 'revoked' }
  /** a `cause` chain that loops back to the thrown object */
  | { kind: 'causeLoop' }

export type Base = 'Error' | 'TypeError' | 'SyntaxError' | 'plain' | 'nullProto' | 'array' | 'function' | 'ProblemError' | 'httpErrors' | 'boom'
export type Wrap = 'none' | 'freeze' | 'proxyThrowAll' | 'revoked' | 'proxyGetThrows' | 'proxyLies'

export type ThrownSpec =
  | { kind: 'primitive', value: unknown }
  | { kind: 'object', base: Base, fields: Array<[string, FieldSpec]>, wrap: Wrap }

class Hostile extends Error {
  constructor (what: string) {
    super('hostile ' + what)
  }
}

function throwingProxy (): object {
  const fail = (): never => { throw new Hostile('proxy trap') }
  return new Proxy({}, {
    get: fail,
    has: fail,
    ownKeys: fail,
    getOwnPropertyDescriptor: fail,
    getPrototypeOf: fail,
    defineProperty: fail,
    set: fail,
    deleteProperty: fail,
    isExtensible: fail,
    preventExtensions: fail,
    setPrototypeOf: fail
  })
}

function revokedProxy (target: object = {}): object {
  const { proxy, revoke } = Proxy.revocable(target, {})
  revoke()
  return proxy
}

const HUGE = 'x'.repeat(1024 * 1024)

function fieldValue (spec: FieldSpec, self: object): { value?: unknown, getter?: () => unknown } {
  switch (spec.kind) {
    case 'value': return { value: spec.value }
    case 'throws': return { getter: () => { throw new Hostile('getter') } }
    case 'self': return { value: self }
    case 'huge': return { value: HUGE }
    case 'throwingFn': return { value: () => { throw new Hostile('function') } }
    case 'proxy': return { value: throwingProxy() }
    case 'revoked': return { value: revokedProxy() }
    case 'causeLoop': {
      const middle = new Error('middle', { cause: self })
      return { value: new Error('first', { cause: middle }) }
    }
  }
}

function baseObject (base: Base, fields: Array<[string, FieldSpec]>): object {
  switch (base) {
    case 'Error': return new Error('base error')
    case 'TypeError': return new TypeError('base type error')
    case 'SyntaxError': return new SyntaxError('base syntax error')
    case 'plain': return {}
    case 'nullProto': return Object.create(null) as object
    case 'array': return []
    case 'function': return function thrownFunction () {}
    case 'httpErrors': return createError(500, 'base http error')
    case 'boom': return new Boom('base boom', { statusCode: 500 })
    case 'ProblemError': {
      // The members are hostile: the constructor may throw, and then that is what is thrown.
      const extensions: Record<string, unknown> = {}
      for (const [name, spec] of fields) define(extensions, name, fieldValue(spec, extensions))
      return new ProblemError({ status: 400, extensions })
    }
  }
}

function define (target: object, name: string, field: { value?: unknown, getter?: () => unknown }): void {
  if (field.getter !== undefined) {
    Object.defineProperty(target, name, { get: field.getter, enumerable: true, configurable: true })
  } else {
    Object.defineProperty(target, name, { value: field.value, enumerable: true, configurable: true, writable: true })
  }
}

/** Builds the value a spec describes: a fresh one each call. */
export function build (spec: ThrownSpec): unknown {
  if (spec.kind === 'primitive') return spec.value
  const target = baseObject(spec.base, spec.fields)
  if (spec.base !== 'ProblemError') {
    for (const [name, field] of spec.fields) define(target, name, fieldValue(field, target))
  }
  switch (spec.wrap) {
    case 'none': return target
    case 'freeze': return Object.freeze(target)
    case 'proxyThrowAll': return throwingProxy()
    case 'revoked': return revokedProxy(target)
    case 'proxyGetThrows': return new Proxy(target, { get () { throw new Hostile('get trap') } })
    // Claims a success status wherever one is read, whatever the target holds.
    case 'proxyLies': return new Proxy(target, { get (object, key) { return key === 'status' || key === 'statusCode' ? 200 : Reflect.get(object, key) as unknown } })
  }
}

/** Discards what is written to it: a logger stream that still makes pino serialize everything. */
export function nullStream (): Writable {
  return new Writable({ write (_chunk, _encoding, callback) { callback() } })
}

/** Collects pino's output, one parsed line per entry. */
export function logCollector (): { stream: Writable, lines: Array<Record<string, unknown>>, text: () => string } {
  const raw: string[] = []
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk, _encoding, callback) {
      const text = String(chunk)
      raw.push(text)
      for (const line of text.split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      }
      callback()
    }
  })
  return { stream, lines, text: () => raw.join('') }
}
