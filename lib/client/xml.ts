/**
 * A strict reader of exactly one XML format: the problem details document of
 * RFC 9457 Appendix B (root `<problem xmlns="urn:ietf:rfc:7807">`, every
 * member an element, arrays as `<i>` children, objects as nested elements).
 *
 * It is no general XML parser, on purpose: a document from a hostile server
 * gets no DOCTYPE (so no entity expansion and no external entities), no
 * processing instructions, no attributes below the root, no namespace
 * prefixes, no more than MAX_DEPTH levels of nesting. Anything outside the
 * format makes the whole document unreadable (`undefined`), and the caller
 * falls back to the HTTP status.
 */

const NAMESPACE = 'urn:ietf:rfc:7807'
const MAX_DEPTH = 32

// Element and attribute names: XML 1.0 Names without ':' (Namespaces in XML
// §3 NCName), Unicode letters included.
const NAME = /[\p{L}_][\p{L}\p{N}\p{Mn}\p{Mc}._\-\u00B7\u203F\u2040]*/uy
const SPACE = /[ \t\n]*/y
const ATTRIBUTE = /[ \t\n]+([\p{L}_][\p{L}\p{N}\p{Mn}\p{Mc}._\-\u00B7\u203F\u2040]*(?::[\p{L}_][\p{L}\p{N}._-]*)?)[ \t\n]*=[ \t\n]*(?:"([^<"]*)"|'([^<']*)')/uy
const XML_DECLARATION = /<\?xml[ \t\n][^?]*\?>/y
// XML 1.0 §2.2: characters a document may not contain at all.
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u
const REFERENCE = /&(#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);|&/g
const ONLY_SPACE = /^[ \t\n]*$/
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** Thrown inside the reader for anything outside the format; never escapes it. */
class NotAProblemDocument extends Error {}

interface Cursor { text: string, at: number }

function refuse (): never {
  throw new NotAProblemDocument()
}

function match (cursor: Cursor, pattern: RegExp): RegExpExecArray | null {
  pattern.lastIndex = cursor.at
  const found = pattern.exec(cursor.text)
  if (found !== null) cursor.at = pattern.lastIndex
  return found
}

function expect (cursor: Cursor, literal: string): void {
  if (!cursor.text.startsWith(literal, cursor.at)) refuse()
  cursor.at += literal.length
}

function decodeReference (whole: string, ref: string | undefined): string {
  if (ref === undefined) refuse() // a bare '&'
  switch (ref) {
    case 'lt': return '<'
    case 'gt': return '>'
    case 'amp': return '&'
    case 'quot': return '"'
    case 'apos': return '\''
  }
  const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
  if (code > 0x10FFFF) refuse()
  const ch = String.fromCodePoint(code)
  if (NOT_XML_CHAR.test(ch) || (code >= 0xD800 && code <= 0xDFFF)) refuse()
  return ch
}

function decodeText (raw: string): string {
  return raw.includes('&') ? raw.replace(REFERENCE, decodeReference) : raw
}

/** Comments and whitespace between markup (XML 1.0 §2.5, Misc). */
function skipMisc (cursor: Cursor): void {
  for (;;) {
    match(cursor, SPACE)
    if (!cursor.text.startsWith('<!--', cursor.at)) return
    const end = cursor.text.indexOf('-->', cursor.at + 4)
    if (end === -1) refuse()
    cursor.at = end + 3
  }
}

/** One element, cursor just after its `<`: its value as JSON data (string, array or object). */
function element (cursor: Cursor, name: string, depth: number): unknown {
  if (depth > MAX_DEPTH) refuse()
  match(cursor, SPACE)
  if (cursor.text.startsWith('/>', cursor.at)) {
    cursor.at += 2
    return ''
  }
  expect(cursor, '>')
  let text = ''
  let children: Array<[string, unknown]> | undefined
  for (;;) {
    const next = cursor.text.indexOf('<', cursor.at)
    if (next === -1) refuse()
    text += decodeText(cursor.text.slice(cursor.at, next))
    cursor.at = next
    if (cursor.text.startsWith('</', next)) {
      cursor.at += 2
      if (match(cursor, NAME)?.[0] !== name) refuse()
      match(cursor, SPACE)
      expect(cursor, '>')
      break
    }
    if (cursor.text.startsWith('<!--', next)) {
      const end = cursor.text.indexOf('-->', next + 4)
      if (end === -1) refuse()
      cursor.at = end + 3
      continue
    }
    if (cursor.text.startsWith('<![CDATA[', next)) {
      const end = cursor.text.indexOf(']]>', next + 9)
      if (end === -1) refuse()
      text += cursor.text.slice(next + 9, end)
      cursor.at = end + 3
      continue
    }
    cursor.at += 1
    const child = match(cursor, NAME)?.[0]
    // No attributes below the root: `xmlns=""` or a prefix would move the
    // member out of the problem namespace.
    if (child === undefined) refuse()
    const value = element(cursor, child, depth + 1)
    if (children === undefined) children = []
    children.push([child, value])
  }
  if (children === undefined) return text
  if (!ONLY_SPACE.test(text)) refuse() // mixed content is no JSON value
  if (children.every(([child]) => child === 'i')) return children.map(([, value]) => value)
  const object: Record<string, unknown> = {}
  for (const [child, value] of children) {
    if (PROTOTYPE_NAMES.has(child)) continue
    if (Object.prototype.hasOwnProperty.call(object, child)) refuse() // one member, one element
    object[child] = value
  }
  return object
}

/**
 * The members of an `application/problem+xml` body, as the JSON body would
 * give them, except that every leaf is a string (XML has no numbers or
 * booleans); `undefined` when the body is not that format.
 */
export function parseProblemXml (body: string): Record<string, unknown> | undefined {
  if (NOT_XML_CHAR.test(body)) return undefined
  // XML 1.0 §2.11: line ends are normalised before parsing.
  const cursor: Cursor = { text: body.replace(/\r\n?/g, '\n'), at: 0 }
  try {
    if (cursor.text.charCodeAt(0) === 0xFEFF) cursor.at = 1
    match(cursor, XML_DECLARATION)
    skipMisc(cursor)
    expect(cursor, '<problem')
    let namespace: string | undefined
    for (let attribute = match(cursor, ATTRIBUTE); attribute !== null; attribute = match(cursor, ATTRIBUTE)) {
      const value = decodeText(attribute[2] ?? attribute[3] ?? '')
      if (attribute[1] === 'xmlns') namespace = value
      else if (!attribute[1].startsWith('xmlns:')) refuse() // the root takes namespace declarations only
    }
    if (namespace !== NAMESPACE) refuse()
    const members = element(cursor, 'problem', 1)
    skipMisc(cursor)
    if (cursor.at !== cursor.text.length) refuse()
    if (members === '') return {}
    if (members === null || typeof members !== 'object' || Array.isArray(members)) refuse()
    return members as Record<string, unknown>
  } catch {
    // NotAProblemDocument, or a RangeError from a document too deep for the
    // stack (which MAX_DEPTH prevents): either way, not a readable problem.
    return undefined
  }
}
