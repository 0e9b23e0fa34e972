import { compatMessage, extensionKeys, fastifyPhrase, memberJson, type Rendering } from './serialize.js'
import type { Extensions } from '../model/problem.js'

/**
 * The problem as `application/problem+xml` (RFC 9457 Appendix B): root
 * `<problem xmlns="urn:ietf:rfc:7807">`, every member an element in that
 * namespace, arrays as `<i>` children, objects as nested elements.
 *
 * Extension values go through the same JSON conversion as the JSON body
 * (`memberJson`: `toJSON`, BigInt as a string, unserializable values left
 * out), so both formats carry one data model, as Appendix B asks.
 */

export const XML_NAMESPACE = 'urn:ietf:rfc:7807'

const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n<problem xmlns="' + XML_NAMESPACE + '">'

// XML 1.0 (5th ed.) §2.3 Name without ':' (Namespaces in XML 1.0 §3 NCName).
const NAME_START = 'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}'
const NAME_CHAR = NAME_START + '\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040'
// The combining marks U+0300–U+036F are a range of NameChar, not a combined character.
// eslint-disable-next-line no-misleading-character-class
const NCNAME = new RegExp('^[' + NAME_START + '][' + NAME_CHAR + ']*$', 'u')
// XML 1.0 §2.3: names starting with "xml" in any case are reserved.
const RESERVED_PREFIX = /^xml/i

// Characters that need escaping in text, and those XML 1.0 §2.2 cannot carry
// at all (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF).
const SPECIAL = /[&<>\r]|[^\t\n\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u
const SPECIAL_ALL = /[&<>\r]|[^\t\n\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

function escapeChar (ch: string): string {
  switch (ch) {
    case '&': return '&amp;'
    case '<': return '&lt;'
    case '>': return '&gt;'
    // A literal CR would be normalised away by the parser (XML 1.0 §2.11).
    case '\r': return '&#13;'
    default: return '\uFFFD'
  }
}

/** Text content, escaped; characters XML cannot carry become U+FFFD. */
export function escapeXml (text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, escapeChar) : text
}

/** True for a name usable as an element name in the problem namespace. */
export function isXmlName (name: string): boolean {
  return NCNAME.test(name) && !RESERVED_PREFIX.test(name)
}

function element (name: string, text: string): string {
  return '<' + name + '>' + escapeXml(text) + '</' + name + '>'
}

const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** One JSON value (as `JSON.parse` gives it) as the content of an element. */
function content (value: unknown): string {
  if (value === null) return ''
  if (typeof value === 'string') return escapeXml(value)
  if (typeof value !== 'object') return String(value)
  let out = ''
  if (Array.isArray(value)) {
    for (const item of value) out += '<i>' + content(item) + '</i>'
    return out
  }
  const object = value as Record<string, unknown>
  for (const key of Object.keys(object)) {
    // Nested names that would pollute a client's prototypes when it maps the
    // document to objects are left out, as at the top level; XML parsers such
    // as fast-xml-parser refuse a document that has them.
    if (isXmlName(key) && !PROTOTYPE_NAMES.has(key)) out += '<' + key + '>' + content(object[key]) + '</' + key + '>'
  }
  return out
}

/** The problem as `application/problem+xml`: the members and order of the JSON body. */
export function serializeXml (r: Rendering): string {
  let out = PROLOG + element('type', r.type) + element('title', r.title) + '<status>' + r.status + '</status>'
  if (r.detail !== undefined) out += element('detail', r.detail)
  if (r.instance !== undefined) out += element('instance', r.instance)
  if (r.requestIdMember !== false && r.requestId !== undefined) out += element(r.requestIdMember, r.requestId)
  if (r.traceId !== undefined && r.traceIdMember !== false) out += element(r.traceIdMember, r.traceId)
  if (r.compat) {
    const phrase = fastifyPhrase(r.status)
    out += '<statusCode>' + r.status + '</statusCode>' + (phrase === undefined ? '' : element('error', phrase)) + element('message', compatMessage(r))
    if (r.code !== undefined) out += element('code', r.code)
  }
  const extensions = r.extensions
  if (extensions !== undefined) {
    for (const key of extensionKeys(extensions, r)) out += member(key, extensions)
  }
  const added = r.added
  if (added !== undefined) {
    for (const key in added) out += member(key, added)
  }
  return out + '</problem>'
}

/** One extension member as an element, or nothing when it cannot be one. */
function member (key: string, members: Extensions): string {
  // Names that are no XML Name cannot be an element: left out here, and
  // refused when a type is defined (defineProblem).
  if (!isXmlName(key)) return ''
  try {
    const json = memberJson(members[key])
    return json === undefined ? '' : '<' + key + '>' + content(JSON.parse(json)) + '</' + key + '>'
  } catch {
    // A throwing getter or a structure too deep to walk: the member is left out.
    return ''
  }
}
