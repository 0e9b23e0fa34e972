import type { FastifyRequest } from 'fastify'
import { ProblemError, problemFromInit, type Problem, type ProblemInit } from '../model/problem.js'
import { catalogue, catalogueVersion, definedType, type ProblemTypeClass, type ProblemTypeEntry } from '../model/catalogue.js'
import { RegistrationError } from '../errors.js'
import { unexpectedProblem } from './unexpected.js'
import type { MappingSettings } from './settings.js'

export type { MappingSettings }

/** An error class: matched through the prototype chain, or its own `Symbol.hasInstance`. */

export type ErrorClass<T = any> = abstract new (...args: any[]) => T
/** A predicate over the thrown value. */
export type ErrorPredicate = (error: unknown) => boolean
/** What a mapping matches: an error class, a `code` string, or a predicate. */
export type Matcher = ErrorClass | string | ErrorPredicate

/** What a mapper gives back: a problem, or `undefined` to pass to the next match. */
export type MapperResult = ProblemInit | ProblemError | undefined | null | void
/** Turns a matched error into a problem. */

export type Mapper<E = any> = (error: E, request: FastifyRequest) => MapperResult

/**
 * What the registry stores: user mappers wrapped to give back a `Problem`, and
 * the built-in and preset mappers, which also receive the answering app's settings.
 */

export type InternalMapper = (error: any, request: FastifyRequest, settings: MappingSettings) => Problem | undefined

interface Mapping {
  readonly mapper: InternalMapper
  /** registration order within its registry; a later mapping wins a tie */
  readonly order: number
}

interface ClassMapping extends Mapping {
  readonly prototype: object
  readonly ctor: ErrorClass
  /** a `Symbol.hasInstance` of its own (as @fastify/error's classes have) */
  readonly customInstanceOf: boolean
}

/** The class-based candidates for one prototype, in rank order. */
interface ClassCandidates {
  /** tier 1: classes in the prototype chain, nearest first */
  readonly specific: readonly Mapping[]
  /**
   * tier 2: classes with a `Symbol.hasInstance` of their own that are not in
   * the prototype chain, in rank order. Asked for each error: their answer may
   * depend on the instance (Boom's `isBoom`), not only on its prototype.
   */
  readonly claimers: readonly ClassMapping[]
  /** tier 4: mappings on `Error` (or `Object`) itself, the user's catch-all */
  readonly catchAll: readonly Mapping[]
}

/**
 * What the registries of one app share (docs/registry.md#one-app-one-state):
 * created by the plugin with the app's root registry, handed on to every child
 * context's registry, never shared between apps, never reachable from the
 * public API.
 */
export interface AppState {
  /**
   * Bumped by every `map()` in this app: caches built before it are stale.
   * Mappings are added at startup, so in steady state this never changes.
   */
  generation: number
  /** Set when the app is ready: `map()` and `document()` then throw. */
  started: boolean
  /** The defined types the app documents, by `type` as defined. */
  readonly documented: Set<string>
  /** Called once for each type the app documents: the plugin adds its schema. */
  onDocument: ((entry: ProblemTypeEntry) => void) | undefined
  /** `types`, built when asked for and dropped when `documented` or the catalogue changes. */
  types: readonly ProblemTypeEntry[] | undefined
  typesVersion: number
}

export function createAppState (): AppState {
  return { generation: 0, started: false, documented: new Set(), onDocument: undefined, types: undefined, typesVersion: -1 }
}

/** Adds a defined type to what an app documents (a route references it, or `document()` lists it). */
export function documentType (state: AppState, entry: ProblemTypeEntry): void {
  if (state.documented.has(entry.type)) return
  state.documented.add(entry.type)
  state.types = undefined
  state.onDocument?.(entry)
}

/** How the built-in and preset layers are filled: once, before they are sealed. */
export interface LayerBuilder {
  add (matcher: Matcher, mapper: InternalMapper): LayerBuilder
}

const plainInstanceOf = Function.prototype[Symbol.hasInstance]
const classSource = /^class[\s{]/
/** The WeakMap key of values without a prototype (`Object.create(null)`, `throw` of such an object). */
const NO_PROTOTYPE = Object.freeze({})

/**
 * A function is taken for a class when its prototype is an error prototype, it
 * has a `Symbol.hasInstance` of its own, or it was written with `class`.
 * Anything else (arrow functions, plain functions) is a predicate.
 */
function isClass (fn: unknown): fn is ErrorClass {
  if (typeof fn !== 'function') return false
  const proto = (fn as { prototype?: unknown }).prototype
  if (proto === null || typeof proto !== 'object') return false
  return fn === Error || proto instanceof Error ||
    (fn as unknown as Record<symbol, unknown>)[Symbol.hasInstance] !== plainInstanceOf ||
    classSource.test(Function.prototype.toString.call(fn))
}

const fastifyErrorSymbol = /^fastify-error (.+)$/

/**
 * The code of a class made by @fastify/error's `createError`: its prototype
 * carries `Symbol.for('fastify-error <CODE>')`. `undefined` for anything else,
 * including @fastify/error's generic `FastifyError`, which stands for them all.
 */
function fastifyErrorCode (fn: unknown): string | undefined {
  const proto = (fn as { prototype?: unknown }).prototype
  if (proto === null || typeof proto !== 'object') return undefined
  for (const symbol of Object.getOwnPropertySymbols(proto)) {
    const found = fastifyErrorSymbol.exec(symbol.description ?? '')
    // 'FST_ERR' is the generic FastifyError's own placeholder code.
    if (found !== null) return found[1] === 'FST_ERR' ? undefined : found[1]
  }
  return undefined
}

function instanceOf (value: unknown, ctor: ErrorClass): boolean {
  try {
    return value instanceof ctor
  } catch {
    return false
  }
}

/** Thrown inside resolution when a mapper gives back something that is not a problem. */
class MapperResultError extends TypeError {
  constructor (result: unknown) {
    super(`a problem mapper returned ${typeof result}, expected a problem init, a ProblemError or undefined`)
    this.name = 'MapperResultError'
  }
}

function toProblem (result: MapperResult): Problem | undefined {
  if (result === undefined || result === null) return undefined
  if (result instanceof ProblemError) return result
  if (typeof result === 'object') return problemFromInit(result)
  throw new MapperResultError(result)
}

let settingsOf: (registry: ProblemRegistry) => MappingSettings
let sealedLayerOf: (parent: ProblemRegistry | null, fill: (builder: LayerBuilder) => void) => ProblemRegistry

/**
 * The registry of one encapsulation context: error matchers → mappers.
 *
 * Ranking (docs/registry.md), most specific first:
 *   0. a `code` string equal to `error.code`
 *   1. a class in the error's prototype chain, nearest first
 *   2. a class that claims the error only through `Symbol.hasInstance`
 *   3. a predicate
 *   4. a mapping on `Error` itself: the user's catch-all
 * Within a tier, a nearer context beats its parents, user mappings beat the
 * presets, presets beat the built-ins, and a later mapping beats an earlier one.
 *
 * Its internals are `#` fields: the chain to the built-in layer, the settings
 * and the app's state are not reachable from an instance, so one app can
 * never change what another answers (docs/registry.md#one-app-one-state).
 */
export class ProblemRegistry {
  /** The registry of the enclosing context (or the preset/built-in layer). */
  readonly #parent: ProblemRegistry | null
  /** The options of the plugin registration this registry belongs to. */
  readonly #settings: MappingSettings
  /** Shared by every registry of the app. */
  readonly #state: AppState
  /** A built-in or preset layer: filled once, then never changed. */
  #sealed = false
  readonly #codes = new Map<string, Mapping[]>()
  readonly #classes: ClassMapping[] = []
  readonly #predicates: Array<Mapping & { readonly test: ErrorPredicate }> = []
  #size = 0
  /** Registries from this one outwards that hold mappings; rebuilt when the app's generation moves. */
  #chain: ProblemRegistry[] = []
  /** Ranked class candidates by prototype: weak, so prototypes are not kept alive. */
  #cache = new WeakMap<object, ClassCandidates>()
  #cacheGeneration = -1

  static {
    settingsOf = (registry) => registry.#settings
    sealedLayerOf = (parent, fill) => {
      const layer = new ProblemRegistry(parent, NO_SETTINGS)
      const builder: LayerBuilder = {
        add (matcher, mapper) {
          layer.#add(matcher, mapper)
          return builder
        }
      }
      fill(builder)
      layer.#sealed = true
      return layer
    }
  }

  /**
   * A registry below `parent`. It shares the app's state with its parent, or,
   * below a built-in or preset layer (the root of an app), starts `state`.
   */
  constructor (parent: ProblemRegistry | null, settings: MappingSettings, state?: AppState) {
    this.#parent = parent
    this.#settings = settings
    this.#state = state ?? (parent === null || parent.#sealed ? createAppState() : parent.#state)
  }

  /**
   * Adds a mapping. The most specific match wins, whatever the registration
   * order; a mapper that returns `undefined` passes the error on to the next match.
   */
  map<C extends ErrorClass> (matcher: C, mapper: Mapper<InstanceType<C>>): this
  map<T> (matcher: (error: unknown) => error is T, mapper: Mapper<T>): this
  map (matcher: string | ErrorPredicate, mapper: Mapper): this
  /** Any matcher, e.g. from a list of `[Matcher, Mapper]` pairs. */
  map (matcher: Matcher, mapper: Mapper): this
  map (matcher: Matcher, mapper: Mapper): this {
    if (typeof mapper !== 'function') throw new TypeError('fastify-problem-details: map(matcher, mapper) needs a mapper function')
    this.#add(matcher, (error, request) => toProblem(mapper(error, request)))
    return this
  }

  #add (matcher: Matcher, mapper: InternalMapper): void {
    if (this.#sealed) throw new TypeError('fastify-problem-details: the built-in and preset layers cannot be changed; map() on fastify.problemDetails')
    const state = this.#state
    if (state.started) {
      throw new RegistrationError('map() was called after the app was ready: add mappings before ready(), listen() or inject(), ' +
        'as Fastify refuses setErrorHandler() after start')
    }
    const mapping = { mapper, order: this.#size }
    // A class made by @fastify/error stands for exactly one code: mapping it is
    // mapping that code, so it overrides the built-in mapping of the same code
    // instead of ranking below it as a class.
    if (typeof matcher === 'function') matcher = fastifyErrorCode(matcher) ?? matcher
    if (typeof matcher === 'string') {
      if (matcher === '') throw new TypeError('fastify-problem-details: an error code matcher must not be empty')
      const list = this.#codes.get(matcher)
      if (list === undefined) this.#codes.set(matcher, [mapping])
      else list.push(mapping)
    } else if (isClass(matcher)) {
      const ctor = matcher as unknown as Record<symbol, unknown> & ErrorClass
      this.#classes.push({
        ...mapping,
        ctor,
        prototype: ctor.prototype as object,
        customInstanceOf: ctor[Symbol.hasInstance] !== plainInstanceOf
      })
    } else if (typeof matcher === 'function') {
      this.#predicates.push({ ...mapping, test: matcher as ErrorPredicate })
    } else {
      throw new TypeError('fastify-problem-details: a matcher is an error class, an error code string or a predicate')
    }
    this.#size++
    state.generation++
  }

  /**
   * Adds defined types to what this app documents (docs/problem-types.md#which-types-an-app-documents),
   * beside those its routes reference: their shared schemas, OpenAPI
   * components, catalogue pages and `types`. Before the app is ready.
   */
  document (...types: ProblemTypeClass[]): this {
    const state = this.#state
    if (state.started) throw new RegistrationError('document() was called after the app was ready: list the types before ready(), listen() or inject()')
    for (const type of types) {
      const entry = typeof type === 'function' ? definedType((type as { type?: unknown }).type as string) : undefined
      if (entry === undefined || entry.schemaId !== type.schemaId) {
        throw new TypeError('fastify-problem-details: document() takes classes made by defineProblem()')
      }
      documentType(state, entry)
    }
    return this
  }

  /**
   * The defined types this app documents, in definition order: those its
   * routes reference and those given to `document()`. Complete once the app
   * is ready.
   */
  get types (): readonly ProblemTypeEntry[] {
    const state = this.#state
    const version = catalogueVersion()
    if (state.types === undefined || state.typesVersion !== version) {
      state.types = Object.freeze(catalogue.filter((entry) => state.documented.has(entry.type)))
      state.typesVersion = version
    }
    return state.types
  }

  /**
   * The problem this context answers for `error`: the most specific mapping's,
   * or for anything unknown, and for a mapper that throws or returns a
   * non-problem, the generic 500 that carries nothing of the original
   * (RFC 9457 §5). Never throws.
   */
  resolve (error: unknown, request: FastifyRequest): Problem {
    let problem: Problem | undefined
    let failure: unknown
    try {
      problem = this.match(error, request)
    } catch (err) {
      // Logged with the 500's own line (as `mapperError`): one line per error.
      failure = err
    }
    return problem ?? unexpectedProblem(error, this.#settings, failure)
  }

  /**
   * The problem this context answers for `error`, or `undefined` when nothing
   * matches (the caller then answers a generic 500). A mapper that throws or
   * gives back a non-problem throws out of here.
   */
  match (error: unknown, request: FastifyRequest): Problem | undefined {
    if (this.#cacheGeneration !== this.#state.generation) this.#rebuild()
    const chain = this.#chain
    const settings = this.#settings
    let problem: Problem | undefined

    // Tier 0: error codes. Numeric codes (MongoDB's 11000) match their string.
    const isObject = error !== null && (typeof error === 'object' || typeof error === 'function')
    if (isObject) {
      let code = (error as { code?: unknown }).code
      if (typeof code === 'number') code = String(code)
      if (typeof code === 'string') {
        for (let i = 0; i < chain.length; i++) {
          const list = chain[i].#codes.get(code)
          if (list === undefined) continue
          for (let j = list.length - 1; j >= 0; j--) {
            problem = list[j].mapper(error, request, settings)
            if (problem !== undefined) return problem
          }
        }
      }
    }

    // Tier 1 (cached per prototype) and tier 2 (asked per error).
    const candidates = error === null || error === undefined ? undefined : this.#classCandidates(error)
    if (candidates !== undefined) {
      const specific = candidates.specific
      for (let i = 0; i < specific.length; i++) {
        problem = specific[i].mapper(error, request, settings)
        if (problem !== undefined) return problem
      }
      const claimers = candidates.claimers
      for (let i = 0; i < claimers.length; i++) {
        if (!instanceOf(error, claimers[i].ctor)) continue
        problem = claimers[i].mapper(error, request, settings)
        if (problem !== undefined) return problem
      }
    }

    // Tier 3: predicates.
    for (let i = 0; i < chain.length; i++) {
      const predicates = chain[i].#predicates
      for (let j = predicates.length - 1; j >= 0; j--) {
        if (predicates[j].test(error) !== true) continue
        problem = predicates[j].mapper(error, request, settings)
        if (problem !== undefined) return problem
      }
    }

    // Tier 4: the catch-all on Error.
    if (candidates !== undefined) {
      const catchAll = candidates.catchAll
      for (let i = 0; i < catchAll.length; i++) {
        problem = catchAll[i].mapper(error, request, settings)
        if (problem !== undefined) return problem
      }
    }
    return undefined
  }

  #rebuild (): void {
    const chain: ProblemRegistry[] = []
    for (let registry: ProblemRegistry | null = this; registry !== null; registry = registry.#parent) {
      if (registry.#size > 0) chain.push(registry)
    }
    this.#chain = chain
    this.#cache = new WeakMap()
    this.#cacheGeneration = this.#state.generation
  }

  #classCandidates (error: unknown): ClassCandidates {
    const proto = Object.getPrototypeOf(error) as object | null
    const key = proto ?? NO_PROTOTYPE
    let found = this.#cache.get(key)
    if (found === undefined) {
      found = this.#rank(proto)
      this.#cache.set(key, found)
    }
    return found
  }

  /**
   * Ranks every class mapping of the chain for values with this prototype.
   * Only the prototype decides tiers 1 and 4; the classes that may claim a
   * value through their own `Symbol.hasInstance` (tier 2) are kept in rank
   * order and asked for each error.
   */
  #rank (proto: object | null): ClassCandidates {
    const prototypes: object[] = []
    for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) prototypes.push(p)
    const ranked: Array<{ mapping: ClassMapping, tier: number, distance: number, depth: number }> = []
    const chain = this.#chain
    for (let depth = 0; depth < chain.length; depth++) {
      for (const mapping of chain[depth].#classes) {
        const ctor = mapping.ctor
        if (ctor === Error || ctor === Object) {
          if (prototypes.includes(mapping.prototype)) ranked.push({ mapping, tier: 4, distance: 0, depth })
          continue
        }
        const distance = prototypes.indexOf(mapping.prototype)
        if (distance !== -1) ranked.push({ mapping, tier: 1, distance, depth })
        else if (mapping.customInstanceOf) ranked.push({ mapping, tier: 2, distance: 0, depth })
      }
    }
    ranked.sort((a, b) => a.tier - b.tier || a.distance - b.distance || a.depth - b.depth || b.mapping.order - a.mapping.order)
    return {
      specific: ranked.filter((r) => r.tier === 1).map((r) => r.mapping),
      claimers: ranked.filter((r) => r.tier === 2).map((r) => r.mapping),
      catchAll: ranked.filter((r) => r.tier === 4).map((r) => r.mapping)
    }
  }
}

// The class is shared by every app: nothing on it or its prototype can be replaced.
Object.freeze(ProblemRegistry.prototype)
Object.freeze(ProblemRegistry)

/** What the built-in layer's own mappers never read: they get the answering app's settings. */
const NO_SETTINGS: MappingSettings = Object.freeze({ validationStatus: 400, exposeDetails: false })

/** The settings of a registry's plugin registration (for `frameworkErrors`, which only has the request). */
export function registrySettings (registry: ProblemRegistry): MappingSettings {
  return settingsOf(registry)
}

/**
 * A built-in or preset layer: filled by `fill`, then sealed, so nothing can
 * change it afterwards. Layers are never reachable from an app's registry.
 */
export function sealedLayer (parent: ProblemRegistry | null, fill: (builder: LayerBuilder) => void): ProblemRegistry {
  return sealedLayerOf(parent, fill)
}
