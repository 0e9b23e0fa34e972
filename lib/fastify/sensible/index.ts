import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Settings } from '../options.js'
import { plainProblem } from '../../model/problem.js'
import { ProblemDetails } from '../../model/schemas.js'
import { sendProblem } from '../send.js'
import { httpErrors, sensibleAssert, statusOf } from './http-errors.js'

/**
 * How this plugin and @fastify/sensible share a context (docs/migration.md#beside-fastifysensible).
 *
 * Both decorate `fastify.httpErrors`, `fastify.assert`, `reply.getHttpError`
 * and the 41 reply helpers. Fastify keeps one decorator of a name per
 * encapsulation context and refuses a second one in the same context with
 * FST_ERR_DEC_ALREADY_PRESENT; a child context may shadow its parent's. So:
 *
 * - whoever decorates a name first in a context keeps it there. When
 *   @fastify/sensible came first, Fastify refuses our decorator with
 *   FST_ERR_DEC_ALREADY_PRESENT and sensible's stays: what it sends or throws
 *   is an http-errors `HttpError`, which the built-in mapping answers.
 * - when this plugin came first, @fastify/sensible's own `decorate` of the
 *   same name would throw from inside its synchronous registration, where
 *   nothing catches it and the process exits. `keepOurDecorators` below is the one
 *   place the plugin stands between another plugin and Fastify: on the
 *   instance it is registered in, `decorate` and `decorateReply` skip a second
 *   decorator of a name this plugin owns (ours answers) and pass everything
 *   else, sensible's utilities included, to Fastify's own method unchanged.
 *   Were a Fastify release to bypass the instance method, the second decorator
 *   would fail loudly with FST_ERR_DEC_ALREADY_PRESENT at startup, never
 *   silently at request time; test/sensible-coexist.test.ts runs this against
 *   the oldest and the newest Fastify 5.
 */

/** The names this registration decorated and so answers for, by kind. */
export interface OwnedDecorators {
  readonly instance: Set<string>
  readonly reply: Set<string>
}

export function ownedDecorators (): OwnedDecorators {
  return { instance: new Set(), reply: new Set() }
}

function alreadyPresent (err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'FST_ERR_DEC_ALREADY_PRESENT'
}

/**
 * Decorates `reply[name]` unless this context already has a decorator of
 * that name of its own (Fastify refuses it: @fastify/sensible came first).
 * A parent's decorator is shadowed, as Fastify allows.
 */
export function shareReplyDecorator (fastify: FastifyInstance, name: string, fn: (...args: any[]) => unknown, owned: OwnedDecorators): void {
  try {
    fastify.decorateReply(name, fn)
    owned.reply.add(name)
  } catch (err) {
    if (!alreadyPresent(err)) throw err
  }
}

function shareDecorator (fastify: FastifyInstance, name: string, value: unknown, owned: OwnedDecorators): void {
  try {
    fastify.decorate(name, value)
    owned.instance.add(name)
  } catch (err) {
    if (!alreadyPresent(err)) throw err
  }
}

/** Registration time only: requests never pass through here. */
function keepOurDecorators (fastify: FastifyInstance, owned: OwnedDecorators): void {
  const decorate = fastify.decorate
  const decorateReply = fastify.decorateReply
  fastify.decorate = function decorateBesideProblemDetails (this: FastifyInstance, name: string | symbol, ...rest: unknown[]) {
    if (typeof name === 'string' && owned.instance.has(name)) return kept(this, name)
    return (decorate as (...args: unknown[]) => FastifyInstance).call(this, name, ...rest)
  } as FastifyInstance['decorate']
  fastify.decorateReply = function decorateReplyBesideProblemDetails (this: FastifyInstance, name: string | symbol, ...rest: unknown[]) {
    if (typeof name === 'string' && owned.reply.has(name)) return kept(this, name)
    return (decorateReply as (...args: unknown[]) => FastifyInstance).call(this, name, ...rest)
  } as FastifyInstance['decorateReply']
}

function kept (instance: FastifyInstance, name: string): FastifyInstance {
  instance.log.debug({ decorator: name }, 'fastify-problem-details: a later decorator of this name is skipped; the plugin\'s answers')
  return instance
}

/**
 * @fastify/sensible's error API in problem form: `fastify.httpErrors`,
 * `fastify.assert`, `reply.getHttpError()`, and its `sharedSchemaId`.
 */
export function installSensibleApi (fastify: FastifyInstance, settings: Settings, owned: OwnedDecorators): void {
  shareDecorator(fastify, 'httpErrors', httpErrors, owned)
  shareDecorator(fastify, 'assert', sensibleAssert, owned)
  shareReplyDecorator(fastify, 'getHttpError', function getHttpError (this: FastifyReply, status: unknown, message?: string): FastifyReply {
    // The reply helper of that status: no Error, no stack.
    return sendProblem(this, plainProblem(statusOf(status), typeof message === 'string' ? message : undefined), settings)
  }, owned)
  keepOurDecorators(fastify, owned)

  // `$ref: 'HttpError'` (or whatever the app named it) keeps resolving, to the problem schema.
  const id = settings.sharedSchemaId
  if (id !== undefined && fastify.getSchema(id) === undefined) {
    fastify.addSchema({ ...ProblemDetails, $id: id, title: 'Problem details' })
  }
}
