import type { FastifyRequest } from 'fastify'
import type { HttpErrors, StatusLike } from './http-errors.js'

/**
 * `fastify.httpErrors`, typed so that a project with @fastify/sensible's
 * types as well still compiles (with or without `skipLibCheck`): sensible
 * declares `FastifyInstance.httpErrors` with its own `HttpErrors` type, and
 * two declarations of one property must agree exactly. So ours comes from a
 * base interface, whose member a direct declaration may narrow: where
 * sensible's types are present (its `request.forwarded()` is the mark), the
 * base member is `unknown` and sensible's declaration types the property;
 * at runtime the object is ours either way, and what its factories give back
 * has every member sensible's `HttpError` type promises.
 */
export interface SensibleErrorApi {
  /** @fastify/sensible's error factories, answering problems (docs/migration.md). */
  httpErrors: FastifyRequest extends { forwarded (): string[] } ? unknown : HttpErrors
}

declare module 'fastify' {
  interface FastifyInstance extends SensibleErrorApi {
    /** Throws a problem of `status` (default 500) with `message` when the condition is falsy. */
    assert: Assert
  }

  /**
   * `fastify.assert`. @fastify/sensible declares this interface too: the two
   * merge, so `assert` has one type whichever is installed.
   */
  interface Assert {
    (condition: unknown, status?: number, message?: string): asserts condition
    ok (condition: unknown, status?: number, message?: string): asserts condition
    /** Loose equality (`==`). */
    equal (a: unknown, b: unknown, status?: number, message?: string): void
    notEqual (a: unknown, b: unknown, status?: number, message?: string): void
    strictEqual<T> (a: unknown, b: T, status?: number, message?: string): asserts a is T
    notStrictEqual (a: unknown, b: unknown, status?: number, message?: string): void
    /** Structural equality (Node's `util.isDeepStrictEqual`). */
    deepEqual (a: unknown, b: unknown, status?: number, message?: string): void
    notDeepEqual (a: unknown, b: unknown, status?: number, message?: string): void
  }

  interface FastifyReply {
    /** Sends the problem of `status` (`404` or `'404'`): `reply.getHttpError(404, 'No such user')`. */
    getHttpError (status: StatusLike, message?: string): FastifyReply
  }
}
