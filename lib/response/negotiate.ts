/**
 * Content negotiation for problem responses (RFC 9457 §3, Appendix B; RFC 9110
 * §12.5.1). An error response is never turned into a 406: when nothing the
 * client lists fits, it gets `application/problem+json` (RFC 9110 §12.1 lets a
 * server disregard an Accept header it cannot satisfy).
 *
 * The rules, in docs/negotiation.md:
 *  - each format's quality is the q-value of the most specific range that
 *    matches it: `application/problem+json` (exact) > `application/json` (for
 *    problem+json: the `+json` structured syntax suffix, RFC 6839 §3.1, says
 *    a JSON client can read it) > `application/*` > the full wildcard; a range with a
 *    parameter other than `charset=utf-8` matches none of our formats;
 *  - the format with the highest quality wins; a tie goes to problem+json,
 *    then plain JSON, then XML;
 *  - `application/problem+xml` is only chosen when it is named: browsers
 *    accept `application/xml;q=0.9` and should still see JSON.
 */
import { BoundedCache } from '../bounded-cache.js'

export const PROBLEM_JSON = 0
export const JSON_FORMAT = 1
export const PROBLEM_XML = 2
export type Format = typeof PROBLEM_JSON | typeof JSON_FORMAT | typeof PROBLEM_XML

/**
 * Exactly as registered, with no parameters (RFC 9457 §6.1, §6.2): a strict
 * client compares the media type whole. JSON is UTF-8 by definition and
 * `application/json` defines no `charset` either (RFC 8259 §8.1, §11); the
 * XML declaration names its encoding.
 */
export const CONTENT_TYPES: readonly string[] = [
  'application/problem+json',
  'application/json',
  'application/problem+xml'
]

/** One element of a comma-separated, weighted header list (RFC 9110 §5.6.1, §12.4.2). */
export interface WeightedEntry {
  /** the element before its parameters, lower-cased */
  readonly value: string
  /** its parameters before the weight, names lower-cased; `undefined` when there are none */
  readonly params: ReadonlyArray<readonly [string, string]> | undefined
  /** the weight, 0–1 */
  readonly q: number
}

// RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/
// RFC 9110 §5.6.2 token (lower-cased input).
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/

const COMMA = 44
const SEMICOLON = 59
const EQUALS = 61
const QUOTE = 34
const BACKSLASH = 92
const SPACE = 32
const TAB = 9

const Q = 113
const Q_UPPER = 81
const DOT = 46
const ZERO = 48
const NINE = 57

/**
 * The qvalue in `header` from `start` to `end` (RFC 9110 §12.4.2, trailing
 * whitespace allowed), or -1 when it is not one. The same numbers as
 * `Number()` of the text: both round the same decimal once.
 */
function qvalue (header: string, start: number, end: number): number {
  while (end > start && (header.charCodeAt(end - 1) === SPACE || header.charCodeAt(end - 1) === TAB)) end--
  const whole = header.charCodeAt(start) - ZERO
  if ((whole !== 0 && whole !== 1) || end - start > 5) return -1
  if (end - start === 1) return whole
  if (header.charCodeAt(start + 1) !== DOT) return -1
  let fraction = 0
  let scale = 1
  for (let i = start + 2; i < end; i++) {
    const c = header.charCodeAt(i)
    if (c < ZERO || c > NINE || (whole === 1 && c !== ZERO)) return -1
    fraction = fraction * 10 + (c - ZERO)
    scale *= 10
  }
  return whole + fraction / scale
}

function skipWhitespace (header: string, i: number): number {
  let c = header.charCodeAt(i)
  while (c === SPACE || c === TAB) c = header.charCodeAt(++i)
  return i
}

/** The end of an unquoted part: the next `;` or `,` (or the end). */
function endOfPart (header: string, i: number, stopAtEquals: boolean): number {
  const n = header.length
  for (; i < n; i++) {
    const c = header.charCodeAt(i)
    if (c === SEMICOLON || c === COMMA || (stopAtEquals && c === EQUALS)) break
  }
  return i
}

/**
 * Parses a weighted list such as `Accept` or `Accept-Language`. Malformed
 * elements (an invalid q-value, an unterminated quoted string, an empty value)
 * are dropped one by one, never the whole header: a client that writes
 * `q=high` for one range still gets the others honoured. Parameters after the
 * weight are ignored.
 */
export function parseWeightedList (header: string): WeightedEntry[] {
  const out: WeightedEntry[] = []
  const n = header.length
  let i = 0
  while (i < n) {
    const c = header.charCodeAt(i)
    if (c === COMMA || c === SPACE || c === TAB) {
      i++
      continue
    }
    let end = endOfPart(header, i, false)
    const value = header.slice(i, end).trim().toLowerCase()
    i = end
    let q = 1
    let weighted = false
    let valid = value !== ''
    let params: Array<[string, string]> | undefined
    while (i < n && header.charCodeAt(i) === SEMICOLON) {
      i = skipWhitespace(header, i + 1)
      // The common parameter, `q=0.5`, read without making strings.
      const first = header.charCodeAt(i)
      if (!weighted && (first === Q || first === Q_UPPER) && header.charCodeAt(i + 1) === EQUALS) {
        const start = skipWhitespace(header, i + 2)
        if (header.charCodeAt(start) !== QUOTE) {
          i = endOfPart(header, start, false)
          weighted = true
          q = qvalue(header, start, i)
          if (q === -1) valid = false
          continue
        }
      }
      end = endOfPart(header, i, true)
      const name = header.slice(i, end).trim().toLowerCase()
      i = end
      let paramValue = ''
      if (header.charCodeAt(i) === EQUALS) {
        i = skipWhitespace(header, i + 1)
        if (header.charCodeAt(i) === QUOTE) {
          // RFC 9110 §5.6.4 quoted-string, with quoted-pairs.
          let closed = false
          for (i++; i < n; i++) {
            const ch = header.charCodeAt(i)
            if (ch === BACKSLASH) {
              i++
              if (i < n) paramValue += header[i]
            } else if (ch === QUOTE) {
              closed = true
              i++
              break
            } else {
              paramValue += header[i]
            }
          }
          if (!closed) valid = false
          // Anything between the closing quote and the next delimiter is junk.
          if (endOfPart(header, i, false) !== skipWhitespace(header, i)) valid = false
          i = endOfPart(header, i, false)
        } else {
          end = endOfPart(header, i, false)
          paramValue = header.slice(i, end).trim()
          i = end
        }
      }
      if (name === '') continue
      if (weighted) continue
      if (name === 'q') {
        weighted = true
        if (QVALUE.test(paramValue)) q = Number(paramValue)
        else valid = false
      } else {
        if (params === undefined) params = []
        params.push([name, paramValue])
      }
    }
    if (valid) out.push({ value, params, q })
  }
  return out
}

/** One media range of an `Accept` header, split and checked (RFC 9110 §12.5.1). */
export interface MediaRange {
  readonly type: string
  readonly subtype: string
  readonly hasParams: boolean
  readonly q: number
}

/**
 * The media ranges of an `Accept` header that can match one of this package's
 * representations, all UTF-8: a range with a parameter other than
 * `charset=utf-8` matches none, so it is left out.
 */
export function parseAccept (accept: string): MediaRange[] {
  const out: MediaRange[] = []
  for (const entry of parseWeightedList(accept)) {
    const slash = entry.value.indexOf('/')
    if (slash === -1) continue
    const type = entry.value.slice(0, slash).trim()
    const subtype = entry.value.slice(slash + 1).trim()
    if (!TOKEN.test(type) || !TOKEN.test(subtype)) continue
    const params = entry.params
    if (params !== undefined && !paramsMatch(params)) continue
    out.push({ type, subtype, hasParams: params !== undefined, q: entry.q })
  }
  return out
}

/**
 * How well `range` matches `type/subtype`, higher being more specific, -1 no
 * match: the full wildcard, then `type/*`, then `also` (a less specific name
 * of the same representation), then the exact name; with parameters above
 * without (RFC 9110 §12.5.1).
 */
function specificity (range: MediaRange, type: string, subtype: string, also: string | undefined): number {
  let base: number
  if (range.type === '*') {
    if (range.subtype !== '*') return -1
    base = 0
  } else if (range.type !== type) {
    return -1
  } else if (range.subtype === '*') {
    base = 1
  } else if (range.subtype === subtype) {
    base = 3
  } else if (also !== undefined && range.subtype === also) {
    base = 2
  } else {
    return -1
  }
  return base * 2 + (range.hasParams ? 1 : 0)
}

/**
 * The quality of `type/subtype` under `ranges`: the q-value of the most
 * specific range that matches it, the higher q among equally specific ones;
 * 0 when none matches (RFC 9110 §12.5.1). The one weighting rule of the
 * package: problem formats here, the catalogue's JSON or HTML pages too.
 * `also` names a range that matches less specifically (`json` for
 * `problem+json`: the `+json` suffix, RFC 6839 §3.1).
 */
export function acceptWeight (ranges: readonly MediaRange[], type: string, subtype: string, also?: string): number {
  let best = -1
  let q = 0
  for (const range of ranges) {
    const s = specificity(range, type, subtype, also)
    if (s === -1) continue
    if (s > best || (s === best && range.q > q)) {
      best = s
      q = range.q
    }
  }
  return q
}

/** Our formats are all UTF-8: `charset=utf-8` is the one parameter a range may name. */
function paramsMatch (params: ReadonlyArray<readonly [string, string]>): boolean {
  for (const [name, value] of params) {
    if (name !== 'charset' || value.toLowerCase() !== 'utf-8') return false
  }
  return true
}

/** The negotiation itself, uncached. Exported for the tests. */
export function negotiateUncached (accept: string): Format {
  const ranges = parseAccept(accept)
  const problemJson = acceptWeight(ranges, 'application', 'problem+json', 'json')
  const json = acceptWeight(ranges, 'application', 'json')
  const problemXml = acceptWeight(ranges, 'application', 'problem+xml')
  let best: Format = PROBLEM_JSON
  let q = problemJson
  if (json > q) {
    best = JSON_FORMAT
    q = json
  }
  if (problemXml > q) best = PROBLEM_XML
  return best
}

/**
 * Negotiated formats by `Accept` header, per app: 500 headers and 256 KiB at
 * most, none above 1 KiB (a header of about 470 characters); longer ones are
 * negotiated each time, which costs their length (docs/security.md#caches).
 */
export function acceptCache (): BoundedCache<Format> {
  return new BoundedCache<Format>(500, 256 * 1024, 1024)
}

/**
 * The format to answer in for an `Accept` header, remembered in the app's
 * `cache`. Costs nothing when there is none.
 */
export function negotiate (accept: string | undefined, cache?: BoundedCache<Format>): Format {
  if (accept === undefined || accept === '' || accept === '*/*') return PROBLEM_JSON
  if (cache === undefined) return negotiateUncached(accept)
  let format = cache.get(accept)
  if (format === undefined) {
    format = negotiateUncached(accept)
    cache.set(accept, format)
  }
  return format
}
