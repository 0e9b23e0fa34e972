/**
 * Request targets and `instance` values as valid URI references (RFC 3986 §4.1),
 * as RFC 9457 §3.1.5 requires of `instance`.
 */

// RFC 3986 §2.2, §2.3: unreserved / sub-delims, and ":" "@" "/" (pchar and the
// path separator, §3.3). "%" only as the start of a pct-encoded triplet.
const PATH_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/"
/** 1 for an ASCII character a path may carry as is; 2 more for "?" (query, fragment); 3 for "[", "]" (host). */
const ALLOWED = new Uint8Array(128)
for (let i = 0; i < PATH_CHARS.length; i++) ALLOWED[PATH_CHARS.charCodeAt(i)] = 1
ALLOWED[63] = 2 // ?
ALLOWED[91] = 3 // [
ALLOWED[93] = 3 // ]

const PERCENT = 37
const HASH = 35
const SLASH = 47
const QUESTION = 63
const COLON = 58
const HEX = /^[0-9A-Fa-f]{2}$/
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

/** One character (or surrogate pair) at `i` as UTF-8 percent-encoded octets; a lone surrogate as U+FFFD. */
function encodeAt (s: string, i: number): [string, number] {
  const c = s.charCodeAt(i)
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1)
    if (d >= 0xdc00 && d <= 0xdfff) return [encodeURIComponent(s.slice(i, i + 2)), 2]
  }
  if (c >= 0xd800 && c <= 0xdfff) return ['%EF%BF%BD', 1]
  return [c === PERCENT ? '%25' : encodeURIComponent(s[i]), 1]
}

/** True when `s[i]` starts a valid pct-encoded triplet (never encoded twice). */
function isTriplet (s: string, i: number): boolean {
  return HEX.test(s.slice(i + 1, i + 3))
}

/**
 * A path (no query, no fragment) with every character outside RFC 3986's
 * path characters percent-encoded as UTF-8, an existing `%XX` kept as is.
 */
function encodePath (path: string): string {
  let out: string | undefined
  let from = 0
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if (c < 128 && ALLOWED[c] === 1) continue
    if (c === PERCENT && isTriplet(path, i)) continue
    const [encoded, width] = encodeAt(path, i)
    out = (out ?? '') + path.slice(from, i) + encoded
    from = i + width
    i += width - 1
  }
  return out === undefined ? path : out + path.slice(from)
}

/**
 * The path of a request target, without query or fragment (query strings carry
 * tokens), as a valid URI reference: only the path of an absolute-form target
 * (RFC 9112 §3.2.2: `GET http://user:pass@host/x` gives `/x`, never its scheme,
 * authority or userinfo), characters outside a path percent-encoded, and a
 * path starting `//` written `/.//` (RFC 3986 §3.3: `//` would be read as an
 * authority). The asterisk form stays `*`; any other target (authority form) is `/`.
 */
export function pathOf (url: string): string {
  let end = url.length
  for (let i = 0; i < end; i++) {
    const c = url.charCodeAt(i)
    if (c === QUESTION || c === HASH) end = i
  }
  let start = 0
  if (url.charCodeAt(0) !== SLASH) {
    if (url === '*' || (end === 1 && url.charCodeAt(0) === 42)) return '*'
    if (!ABSOLUTE_FORM.test(url)) return '/'
    const authority = url.indexOf('//') + 2
    start = url.indexOf('/', authority)
    if (start === -1 || start > end) return '/'
  }
  let path = encodePath(start === 0 && end === url.length ? url : url.slice(start, end))
  if (path.charCodeAt(1) === SLASH) path = '/.' + path
  return path
}

/**
 * A URI reference given by the application (a problem's `instance`, the
 * `instance` option's answer) made valid (RFC 3986 §4.1): characters no URI
 * reference may carry percent-encoded as UTF-8, an existing `%XX` kept, a
 * second `#` encoded, `[` and `]` kept only in the authority, and a colon in a
 * first segment that is not a scheme encoded (§4.2). A valid reference comes
 * back unchanged.
 */
export function uriReference (value: string): string {
  let out: string | undefined
  let from = 0
  let fragment = false
  // Where the authority ends, when there is one ("//" after an optional scheme).
  let authorityEnd = -1
  let firstColon = -1
  const n = value.length
  let segmentEnd = n
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i)
    if (c === SLASH || c === QUESTION || c === HASH) {
      segmentEnd = i
      break
    }
    if (c === COLON && firstColon === -1) firstColon = i
  }
  let schemeColon = -1
  if (firstColon !== -1 && firstColon < segmentEnd) {
    if (SCHEME.test(value.slice(0, firstColon))) schemeColon = firstColon
  }
  const afterScheme = schemeColon + 1
  if (value.charCodeAt(afterScheme) === SLASH && value.charCodeAt(afterScheme + 1) === SLASH) {
    authorityEnd = n
    for (let i = afterScheme + 2; i < n; i++) {
      const c = value.charCodeAt(i)
      if (c === SLASH || c === QUESTION || c === HASH) {
        authorityEnd = i
        break
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i)
    if (c < 128) {
      const kind = ALLOWED[c]
      // A colon in a first segment that is no scheme (`a b:c`) is encoded: it would be read as one.
      if (kind === 1 && (c !== COLON || schemeColon !== -1 || i >= segmentEnd)) continue
      if (kind === 2) continue
      if (kind === 3 && i < authorityEnd) continue
      if (c === HASH && !fragment) {
        fragment = true
        continue
      }
      if (c === PERCENT && isTriplet(value, i)) continue
    }
    const [encoded, width] = c === COLON ? ['%3A', 1] : encodeAt(value, i)
    out = (out ?? '') + value.slice(from, i) + encoded
    from = i + width
    i += width - 1
  }
  return out === undefined ? value : out + value.slice(from)
}
