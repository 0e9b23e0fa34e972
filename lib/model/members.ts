/**
 * Member names: which may never be extension members, and which RFC 9457
 * §3.2 advises.
 */

/**
 * Member names that never become extension members: the five standard members
 * (RFC 9457 §3.1), the options that steer a response, and names that would
 * pollute prototypes.
 */
export const RESERVED_MEMBERS: ReadonlySet<string> = new Set([
  'type', 'title', 'status', 'detail', 'instance',
  'headers', 'cause', 'retryAfter',
  '__proto__', 'constructor', 'prototype'
])

/** The five standard members (RFC 9457 §3.1). */
export const STANDARD_MEMBERS: ReadonlySet<string> = new Set(['type', 'title', 'status', 'detail', 'instance'])

/**
 * RFC 9457 §3.2 advises extension names of ALPHA / DIGIT / "_", at least three
 * characters, starting with a letter.
 */
export const MEMBER_NAME = /^[A-Za-z][A-Za-z0-9_]{2,}$/
