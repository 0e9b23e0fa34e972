import type { FastifyRequest } from 'fastify'
import { ABOUT_BLANK } from '../model/type-uri.js'
import { MEMBER_NAME } from '../model/members.js'
import { reasonPhrase } from '../model/status.js'
import { extensionKeys, type Rendering } from './serialize.js'

/** How many distinct warnings one app gives before it stops: a development aid, never a flood. */
const MAX_WARNINGS = 1000
/** How many types one app remembers the first title of. */
const MAX_TYPES = 1000
/**
 * The longest type and title remembered, and the longest key of a warning: with
 * the counts above, the checker holds a few MB at most, whatever the problems.
 */
const MAX_REMEMBERED = 2048

/**
 * The development-mode conformance checker (the `conformance` option, on when
 * `NODE_ENV` is not `production`): warns once per route and problem about
 * what RFC 9457 advises against and no code of the plugin prevents. Per app;
 * its state is bounded; in production it does not exist (`conformance` is
 * decided at registration), so it costs nothing there.
 */
export class Conformance {
  readonly #warned = new Set<string>()
  /** The first untranslated title each `type` was sent with. */
  readonly #titles = new Map<string, string>()

  /** Checks one problem as it is sent (untranslated: translations may differ by design). */
  check (request: FastifyRequest, rendering: Rendering): void {
    if (this.#warned.size >= MAX_WARNINGS) return
    const route = request.method + ' ' + (request.routeOptions.url ?? '(no route)')
    const { type, title, status } = rendering
    if (type === ABOUT_BLANK) {
      // RFC 9457 §4.2.1: with about:blank the title SHOULD be the status's reason phrase.
      if (title !== reasonPhrase(status)) {
        this.#warn(request, route, 'blank-title', String(status) + '\0' + title, { route, status, title, expected: reasonPhrase(status) },
          'an about:blank problem should have the reason phrase as its title (RFC 9457 §4.2.1); give it a type of its own, or use the detail')
      }
    } else {
      // RFC 9457 §3.1.3: the title of a type should not change from occurrence to occurrence.
      const first = this.#titles.get(type)
      if (first === undefined) {
        if (this.#titles.size < MAX_TYPES && type.length <= MAX_REMEMBERED && title.length <= MAX_REMEMBERED) this.#titles.set(type, title)
      } else if (first !== title) {
        this.#warn(request, route, 'two-titles', type + '\0' + title, { route, type, title, firstTitle: first },
          'one problem type is sent with two different titles (RFC 9457 §3.1.3: the title should not change from occurrence to occurrence); put what varies in the detail')
      }
    }
    const extensions = rendering.extensions
    if (extensions !== undefined) {
      for (const name of extensionKeys(extensions, rendering)) this.#checkName(request, route, type, name)
    }
    const added = rendering.added
    if (added !== undefined) {
      for (const name in added) this.#checkName(request, route, type, name)
    }
  }

  #checkName (request: FastifyRequest, route: string, type: string, name: string): void {
    // RFC 9457 §3.2: a letter first, then ALPHA / DIGIT / "_", three characters or more.
    if (MEMBER_NAME.test(name)) return
    this.#warn(request, route, 'member-name', type + '\0' + name, { route, type, member: name },
      'an extension member name should start with a letter, use only letters, digits and _, and be three characters or longer (RFC 9457 §3.2)')
  }

  #warn (request: FastifyRequest, route: string, kind: string, what: string, fields: Record<string, unknown>, message: string): void {
    // Cut to a bound: two warnings that differ only past it count as one.
    const key = (kind + '\0' + route + '\0' + what).slice(0, MAX_REMEMBERED)
    if (this.#warned.has(key) || this.#warned.size >= MAX_WARNINGS) return
    this.#warned.add(key)
    request.log.warn(fields, 'fastify-problem-details: ' + message)
  }
}
