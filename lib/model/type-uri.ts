import { OptionError } from '../errors.js'

/** `type` of plain status problems (RFC 9457 §4.2.1). */
export const ABOUT_BLANK = 'about:blank'

const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:/

/**
 * A `type` resolved against a normalized `typeBase` (RFC 3986 §5), uncached:
 * an absolute type stays as it is; a path-only base gives a path-only type.
 */
export function resolveTypeAgainst (type: string, base: string): string {
  if (type === ABOUT_BLANK || hasScheme.test(type)) return type
  if (base.startsWith('/')) {
    // A path-only base: resolve on a placeholder origin and keep the path.
    const url = new URL(type, 'http://base.invalid' + base)
    return url.pathname + url.search + url.hash
  }
  return new URL(type, base).href
}

/**
 * `resolveTypeAgainst`, or the type as given when it is not a URI reference
 * at all (`//[`): such a type is sent as given, rather than turning the whole
 * problem into the last-resort 500.
 */
export function resolveTypeOrKeep (type: string, base: string): string {
  try {
    return resolveTypeAgainst(type, base)
  } catch {
    return type
  }
}

/** A `typeBase` option checked and normalized to end with `/`; throws `OptionError`. */
export function normalizeTypeBase (value: unknown): string | undefined {
  if (value === undefined) return undefined
  const expected = "an absolute URI or a path starting with '/'"
  if (typeof value !== 'string' || value === '') throw new OptionError('typeBase', expected, value)
  let base = value
  if (!base.startsWith('/')) {
    try {
      base = new URL(base).href
    } catch {
      throw new OptionError('typeBase', expected, value)
    }
  } else if (base.startsWith('//')) {
    throw new OptionError('typeBase', expected, value)
  }
  // Without the slash, 'https://x/problems' + 'out-of-credit' would resolve to
  // 'https://x/out-of-credit' (RFC 3986 §5.2.3 drops the last segment).
  return base.endsWith('/') ? base : base + '/'
}
