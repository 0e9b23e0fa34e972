import type { FastifyRequest } from 'fastify'
import { ProblemError, problemFromInit, type Problem, type ProblemInit } from '../model/problem.js'
import { catalogue, type ProblemTypeEntry } from '../model/catalogue.js'
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
  /** registration order across the process; a later mapping wins a tie */
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
  /** tiers 1 and 2: classes by prototype distance, then `Symbol.hasInstance` matches */
  readonly specific: readonly Mapping[]
  /** tier 4: mappings on `Error` (or `Object`) itself, the user's catch-all */
  readonly catchAll: readonly Mapping[]
}

const plainInstanceOf = Function.prototype[Symbol.hasInstance]
const classSource = /^class[\s{]/

/**
 * Bumped by every `map()` anywhere: caches built before it are stale. Mappings
 * are added at startup, so in steady state this never changes.
 */
let generation = 0
let order = 0

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
 */
export class ProblemRegistry {
  /** The registry of the enclosing context (or the preset/built-in layer). */
  readonly parent: ProblemRegistry | null
  /** The options of the plugin registration this registry belongs to. */
  readonly settings: MappingSettings
  private readonly codes = new Map<string, Mapping[]>()
  private readonly classes: ClassMapping[] = []
  private readonly predicates: Array<Mapping & { readonly test: ErrorPredicate }> = []
  private size = 0
  /** Registries from this one outwards that hold mappings; rebuilt when `generation` moves. */
  private chain: ProblemRegistry[] = []
  private cache = new WeakMap<object, ClassCandidates>()
  private cacheGeneration = -1

  constructor (parent: ProblemRegistry | null, settings: MappingSettings) {
    this.parent = parent
    this.settings = settings
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
    return this.add(matcher, (error, request) => toProblem(mapper(error, request)))
  }

  /**
   * Adds a mapping whose mapper already gives back a `Problem`: the built-in
   * and preset layers use it.
   * @internal
   */
  add (matcher: Matcher, mapper: InternalMapper): this {
    const mapping = { mapper, order: order++ }
    // A class made by @fastify/error stands for exactly one code: mapping it is
    // mapping that code, so it overrides the built-in mapping of the same code
    // instead of ranking below it as a class.
    if (typeof matcher === 'function') matcher = fastifyErrorCode(matcher) ?? matcher
    if (typeof matcher === 'string') {
      if (matcher === '') throw new TypeError('fastify-problem-details: an error code matcher must not be empty')
      const list = this.codes.get(matcher)
      if (list === undefined) this.codes.set(matcher, [mapping])
      else list.push(mapping)
    } else if (isClass(matcher)) {
      const ctor = matcher as unknown as Record<symbol, unknown> & ErrorClass
      this.classes.push({
        ...mapping,
        ctor,
        prototype: ctor.prototype as object,
        customInstanceOf: ctor[Symbol.hasInstance] !== plainInstanceOf
      })
    } else if (typeof matcher === 'function') {
      this.predicates.push({ ...mapping, test: matcher as ErrorPredicate })
    } else {
      throw new TypeError('fastify-problem-details: a matcher is an error class, an error code string or a predicate')
    }
    this.size++
    generation++
    return this
  }

  /** The problem types defined with `defineProblem()` (the catalogue). */
  get types (): readonly ProblemTypeEntry[] {
    return catalogue
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
    return problem ?? unexpectedProblem(error, this.settings, failure)
  }

  /**
   * The problem this context answers for `error`, or `undefined` when nothing
   * matches (the caller then answers a generic 500). A mapper that throws or
   * gives back a non-problem throws out of here.
   */
  match (error: unknown, request: FastifyRequest): Problem | undefined {
    if (this.cacheGeneration !== generation) this.rebuild()
    const chain = this.chain
    const settings = this.settings
    let problem: Problem | undefined

    // Tier 0: error codes. Numeric codes (MongoDB's 11000) match their string.
    const isObject = error !== null && (typeof error === 'object' || typeof error === 'function')
    if (isObject) {
      let code = (error as { code?: unknown }).code
      if (typeof code === 'number') code = String(code)
      if (typeof code === 'string') {
        for (let i = 0; i < chain.length; i++) {
          const list = chain[i].codes.get(code)
          if (list === undefined) continue
          for (let j = list.length - 1; j >= 0; j--) {
            problem = list[j].mapper(error, request, settings)
            if (problem !== undefined) return problem
          }
        }
      }
    }

    // Tiers 1 and 2, cached per prototype.
    const candidates = error === null || error === undefined ? undefined : this.classCandidates(error)
    if (candidates !== undefined) {
      const specific = candidates.specific
      for (let i = 0; i < specific.length; i++) {
        problem = specific[i].mapper(error, request, settings)
        if (problem !== undefined) return problem
      }
    }

    // Tier 3: predicates.
    for (let i = 0; i < chain.length; i++) {
      const predicates = chain[i].predicates
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

  private rebuild (): void {
    const chain: ProblemRegistry[] = []
    for (let registry: ProblemRegistry | null = this; registry !== null; registry = registry.parent) {
      if (registry.size > 0) chain.push(registry)
    }
    this.chain = chain
    this.cache = new WeakMap()
    this.cacheGeneration = generation
  }

  private classCandidates (error: unknown): ClassCandidates {
    const proto = Object.getPrototypeOf(error) as object | null
    if (proto === null) return EMPTY
    let found = this.cache.get(proto)
    if (found === undefined) {
      found = this.rank(error, proto)
      this.cache.set(proto, found)
    }
    return found
  }

  /**
   * Ranks every class mapping of the chain for errors with this prototype.
   * `Symbol.hasInstance` answers are taken from the first error seen and cached
   * with the prototype; a test that depends on instance state is a predicate.
   */
  private rank (error: unknown, proto: object): ClassCandidates {
    const prototypes: object[] = []
    for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) prototypes.push(p)
    const ranked: Array<{ mapping: Mapping, tier: number, distance: number, depth: number }> = []
    const chain = this.chain
    for (let depth = 0; depth < chain.length; depth++) {
      for (const mapping of chain[depth].classes) {
        const ctor = mapping.ctor
        if (ctor === Error || ctor === Object) {
          if (prototypes.includes(mapping.prototype)) ranked.push({ mapping, tier: 4, distance: 0, depth })
          continue
        }
        const distance = prototypes.indexOf(mapping.prototype)
        if (distance !== -1) ranked.push({ mapping, tier: 1, distance, depth })
        else if (mapping.customInstanceOf && instanceOf(error, ctor)) ranked.push({ mapping, tier: 2, distance: 0, depth })
      }
    }
    ranked.sort((a, b) => a.tier - b.tier || a.distance - b.distance || a.depth - b.depth || b.mapping.order - a.mapping.order)
    return {
      specific: ranked.filter((r) => r.tier < 4).map((r) => r.mapping),
      catchAll: ranked.filter((r) => r.tier === 4).map((r) => r.mapping)
    }
  }
}

const EMPTY: ClassCandidates = Object.freeze({ specific: [], catchAll: [] })
