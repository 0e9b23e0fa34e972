import { ABOUT_BLANK, type Extensions } from '../model/problem.js'
import { resolveTypeOrKeep } from '../model/type-uri.js'
import { reasonPhrase } from '../model/status.js'
import type { Rendering } from './serialize.js'
import { parseWeightedList, type WeightedEntry } from './negotiate.js'
import { BoundedCache, stringBytes } from '../bounded-cache.js'

/** A translation with a detail template: `{ title: 'Kein Guthaben', detail: 'Ihr Guthaben beträgt {balance}' }` (docs/localization.md). */
export interface LocalizedText {
  title?: string
  /** Replaces the detail a problem has; `{member}` is filled from its extension members. */
  detail?: string
}

/** `{ [language]: { [statusCodeOrTypeUri]: title or { title?, detail? } } }` */
export type Locales = Record<string, Record<string, string | LocalizedText>>

/** The text a response is sent with, in one language. */
export interface Translated {
  /** the language tag for `Content-Language` */
  readonly language: string
  readonly title: string
  readonly detail: string | undefined
}

/**
 * Translated titles and details chosen by `Accept-Language` (RFC 9457 §3.1.3:
 * the title may be localized through proactive negotiation; RFC 9110 §12.5.4).
 *
 * Language choice is RFC 4647 §3.4 Lookup over the languages this one problem
 * has text in: ranges by descending q-value; each range is tried as is and then
 * shortened subtag by subtag (`de-CH-1996` → `de-CH` → `de`); `*` stands for
 * the untranslated text; a range with `q=0` excludes that language. The
 * untranslated text (status phrases, defined titles) is English.
 */
export const DEFAULT_LANGUAGE = 'en'

interface Translation {
  /** the tag as sent in `Content-Language` */
  readonly tag: string
  readonly title: string | undefined
  /** literal, member name, literal, member name, …, literal */
  readonly detail: readonly string[] | undefined
}

/** The parsed `Accept-Language` ranges that can select a language. */
interface Ranges {
  /** ranges with q > 0, best first, lower-cased */
  readonly accepted: readonly string[]
  /** ranges with q = 0 */
  readonly excluded: ReadonlySet<string> | undefined
}

const NO_RANGES: Ranges = Object.freeze({ accepted: Object.freeze([]), excluded: undefined })
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/** A detail template (`'Ihr Guthaben beträgt {balance}'`) split once, at registration. */
function compileTemplate (template: string): string[] {
  const parts: string[] = []
  let last = 0
  for (const match of template.matchAll(PLACEHOLDER)) {
    parts.push(template.slice(last, match.index), match[1])
    last = (match.index as number) + match[0].length
  }
  parts.push(template.slice(last))
  return parts
}

/** A template filled from the extension members; `undefined` when one is missing or not a scalar. */
function fillTemplate (parts: readonly string[], extensions: Extensions | undefined): string | undefined {
  let out = parts[0]
  for (let i = 1; i < parts.length; i += 2) {
    let value: unknown
    try {
      value = extensions === undefined ? undefined : extensions[parts[i]]
    } catch {
      return undefined
    }
    const kind = typeof value
    if (kind !== 'string' && kind !== 'number' && kind !== 'boolean' && kind !== 'bigint') return undefined
    out += String(value) + parts[i + 1]
  }
  return out
}

/** BCP 47 §2.1.1 conventional case: `de-CH`, `zh-Hant-TW`, `sr-Latn`. */
function canonicalTag (tag: string): string {
  return tag.split('-').map((subtag, i) => {
    if (i === 0) return subtag.toLowerCase()
    if (subtag.length === 2) return subtag.toUpperCase()
    if (subtag.length === 4) return subtag[0].toUpperCase() + subtag.slice(1).toLowerCase()
    return subtag.toLowerCase()
  }).join('-')
}

/**
 * The end of the next shorter range in Lookup (RFC 4647 §3.4) of
 * `range.slice(0, end)`, or 0 when there is none. Works on positions, so
 * walking a range down to its first subtag costs its length once, however
 * long it is.
 */
function shorter (range: string, end: number): number {
  let cut = range.lastIndexOf('-', end - 1)
  if (cut <= 0) return 0
  // A single-character subtag (an extension or private-use singleton) goes with the one after it.
  if (cut >= 2 && range.charCodeAt(cut - 2) === 45) cut -= 2
  return cut
}

/**
 * Parsed `Accept-Language` headers, per app: 500 headers and 256 KiB at
 * most, none above 2 KiB (a header of about 400 characters); longer ones are
 * parsed each time, which costs their length (docs/security.md#caches).
 */
const RANGE_ENTRIES = 500
const RANGE_BYTES = 256 * 1024
const RANGE_ENTRY_BYTES = 2048

function byWeight (a: WeightedEntry, b: WeightedEntry): number {
  return b.q - a.q
}

/**
 * How many of the best-weighted ranges Lookup tries. Browsers send a handful;
 * a header of thousands costs its parse, and no more.
 */
const MAX_RANGES = 32

function parseRanges (header: string): Ranges {
  const entries = parseWeightedList(header)
  // Stable sort: equal q keeps the client's order.
  entries.sort(byWeight)
  const accepted: string[] = []
  let excluded: Set<string> | undefined
  for (const entry of entries) {
    if (entry.q === 0) (excluded ??= new Set()).add(entry.value)
    else if (accepted.length < MAX_RANGES) accepted.push(entry.value)
  }
  return { accepted, excluded }
}

/** The bytes a parse result holds, for the cache's bound. */
function rangesBytes (ranges: Ranges): number {
  let bytes = 64
  for (const range of ranges.accepted) bytes += stringBytes(range) + 8
  if (ranges.excluded !== undefined) for (const range of ranges.excluded) bytes += stringBytes(range) + 32
  return bytes
}

function rangesOf (header: string | undefined, cache: BoundedCache<Ranges> | undefined): Ranges {
  if (header === undefined || header === '') return NO_RANGES
  let ranges = cache?.get(header)
  if (ranges === undefined) {
    ranges = parseRanges(header)
    cache?.set(header, ranges, rangesBytes(ranges))
  }
  return ranges
}

/**
 * Lookup over `available` (lower-cased tags, none longer than `longest`):
 * the language to answer in. With `withDefault`, the untranslated text's
 * language is available too and is the answer for `*` and when nothing fits;
 * without it, that answer is `undefined`. A prefix longer than `longest`
 * cannot match and is never made: the cost is linear in the header's length.
 */
function lookup (ranges: Ranges, available: { has (tag: string): boolean }, longest: number, withDefault: boolean): string | undefined {
  const { accepted, excluded } = ranges
  const fallback = withDefault ? DEFAULT_LANGUAGE : undefined
  for (let i = 0; i < accepted.length; i++) {
    const range = accepted[i]
    if (range === '*') return fallback
    for (let end = range.length; end > 0; end = shorter(range, end)) {
      if (end > longest) continue
      const tag = end === range.length ? range : range.slice(0, end)
      if ((available.has(tag) || (withDefault && tag === DEFAULT_LANGUAGE)) && (excluded === undefined || !excluded.has(tag))) return tag
    }
  }
  return fallback
}

/**
 * The language a request prefers among `available`, by the same Lookup the
 * plugin uses for titles; `undefined` when none of them is acceptable. Useful
 * to pick the language of Ajv's localized messages (docs/localization.md).
 */
export function matchLanguage (acceptLanguage: string | undefined, available: readonly string[]): string | undefined {
  const byTag = new Map<string, string>()
  let longest = 0
  for (const language of available) {
    byTag.set(language.toLowerCase(), language)
    longest = Math.max(longest, language.length)
  }
  // Not cached: the helper belongs to no app, and parsing is linear.
  const found = lookup(rangesOf(acceptLanguage, undefined), byTag, longest, false)
  return found === undefined ? undefined : byTag.get(found)
}

/** The `locales` option, compiled for the response path. */
export class Localizer {
  /** translations by status code (for `about:blank` problems), then by lower-cased language */
  readonly #byStatus = new Map<string, Map<string, Translation>>()
  /**
   * Translations by resolved `type` URI: the texts keyed by a type as defined
   * (`'out-of-credit'`) and by its resolved URI, merged once, here. A
   * problem's translations are then one lookup of its resolved type, the
   * same whatever the problem carries (relative or absolute) and whatever
   * came before: nothing about them is learnt from requests.
   */
  readonly #byType = new Map<string, Map<string, Translation>>()
  /** the longest language tag with a translation, or that of the untranslated text */
  readonly #longest: number
  readonly #ranges = new BoundedCache<Ranges>(RANGE_ENTRIES, RANGE_BYTES, RANGE_ENTRY_BYTES)

  /** `typeBase` as normalized by the options: type keys resolve against it as problem types do. */
  constructor (locales: Locales, typeBase: string | undefined) {
    let longest = DEFAULT_LANGUAGE.length
    // Keys as written first, so that a key written as the resolved URI wins for its language.
    const byKey = new Map<string, Map<string, Translation>>()
    for (const language of Object.keys(locales)) {
      const texts = locales[language]
      const lower = language.toLowerCase()
      longest = Math.max(longest, lower.length)
      for (const key of Object.keys(texts)) {
        const text = texts[key]
        const translation: Translation = typeof text === 'string'
          ? { tag: canonicalTag(language), title: text, detail: undefined }
          : { tag: canonicalTag(language), title: text.title, detail: text.detail === undefined ? undefined : compileTemplate(text.detail) }
        let languages = byKey.get(key)
        if (languages === undefined) byKey.set(key, languages = new Map())
        languages.set(lower, translation)
      }
    }
    this.#longest = longest
    const exact: Array<[string, Map<string, Translation>]> = []
    for (const [key, languages] of byKey) {
      this.#byStatus.set(key, languages)
      const resolved = typeBase === undefined ? key : resolveTypeOrKeep(key, typeBase)
      if (resolved === key) {
        exact.push([key, languages])
      } else {
        merge(this.#byType, resolved, languages)
      }
    }
    for (const [key, languages] of exact) merge(this.#byType, key, languages)
  }

  private languagesOf (rendering: Rendering, carriedType: string): Map<string, Translation> | undefined {
    if (carriedType !== ABOUT_BLANK) return this.#byType.get(rendering.type)
    return rendering.title === reasonPhrase(rendering.status) ? this.#byStatus.get(String(rendering.status)) : undefined
  }

  /**
   * The title of `rendering` in exactly `language` (the language a mapping
   * translated the rest of the problem into), with the detail template of that
   * language filled when there is one; `undefined` when `locales` has no title
   * in that language for this problem: then nothing of the translation is sent.
   */
  localizeIn (rendering: Rendering, carriedType: string, language: string): Translated | undefined {
    const translation = this.languagesOf(rendering, carriedType)?.get(language.toLowerCase())
    if (translation?.title === undefined) return undefined
    const detail = translation.detail === undefined ? undefined : fillTemplate(translation.detail, rendering.extensions)
    return { language: translation.tag, title: translation.title, detail }
  }

  /**
   * The title (and a detail, where a template is given and the problem has
   * one) of `rendering` for the request's `Accept-Language`, with the language
   * tag of the text; `undefined` when this problem has no translations at all
   * (its response does not vary by language). Status keys apply to
   * `about:blank` problems that carry the status phrase; type keys to the
   * resolved type (`rendering.type`) of the others (`carriedType` is what the
   * problem carries). `type` itself never changes. `rendering` is not
   * changed: the log line keeps the untranslated text.
   */
  localize (rendering: Rendering, carriedType: string, acceptLanguage: string | undefined): Translated | undefined {
    const languages = this.languagesOf(rendering, carriedType)
    if (languages === undefined) return undefined
    const chosen = lookup(rangesOf(acceptLanguage, this.#ranges), languages, this.#longest, true) as string
    const translation = languages.get(chosen)
    if (translation === undefined) return { language: DEFAULT_LANGUAGE, title: rendering.title, detail: rendering.detail }
    let detail = rendering.detail
    if (translation.detail !== undefined && detail !== undefined) detail = fillTemplate(translation.detail, rendering.extensions) ?? detail
    return { language: translation.tag, title: translation.title ?? rendering.title, detail }
  }
}

function merge (into: Map<string, Map<string, Translation>>, key: string, languages: Map<string, Translation>): void {
  const existing = into.get(key)
  if (existing === undefined) into.set(key, new Map(languages))
  else for (const [language, translation] of languages) existing.set(language, translation)
}
