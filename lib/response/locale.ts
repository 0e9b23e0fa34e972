import { ABOUT_BLANK, type Extensions } from '../model/problem.js'
import { reasonPhrase } from '../model/status.js'
import type { Rendering } from './serialize.js'
import { parseWeightedList, type WeightedEntry } from './negotiate.js'

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
  readonly excluded: readonly string[] | undefined
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

/** The next shorter range in Lookup (RFC 4647 §3.4), or `undefined`. */
function shorten (tag: string): string | undefined {
  let cut = tag.lastIndexOf('-')
  if (cut === -1) return undefined
  // A single-character subtag (an extension or private-use singleton) goes with the one after it.
  if (cut >= 2 && tag.charCodeAt(cut - 2) === 45) cut -= 2
  return tag.slice(0, cut)
}

const rangeCache = new Map<string, Ranges>()
const CACHE_ENTRIES = 500
const CACHE_HEADER_LENGTH = 256

function byWeight (a: WeightedEntry, b: WeightedEntry): number {
  return b.q - a.q
}

function parseRanges (header: string): Ranges {
  const entries = parseWeightedList(header)
  // Stable sort: equal q keeps the client's order.
  entries.sort(byWeight)
  const accepted: string[] = []
  let excluded: string[] | undefined
  for (const entry of entries) {
    if (entry.q > 0) accepted.push(entry.value)
    else (excluded ??= []).push(entry.value)
  }
  return { accepted, excluded }
}

function rangesOf (header: string | undefined): Ranges {
  if (header === undefined || header === '') return NO_RANGES
  let ranges = rangeCache.get(header)
  if (ranges === undefined) {
    ranges = parseRanges(header)
    if (rangeCache.size < CACHE_ENTRIES && header.length <= CACHE_HEADER_LENGTH) rangeCache.set(header, ranges)
  }
  return ranges
}

/**
 * Lookup over `available` (lower-cased tags): the language to answer in. With
 * `withDefault`, the untranslated text's language is available too and is the
 * answer for `*` and when nothing fits; without it, that answer is `undefined`.
 */
function lookup (ranges: Ranges, available: { has (tag: string): boolean }, withDefault: boolean): string | undefined {
  const { accepted, excluded } = ranges
  const fallback = withDefault ? DEFAULT_LANGUAGE : undefined
  for (const range of accepted) {
    if (range === '*') return fallback
    for (let tag: string | undefined = range; tag !== undefined; tag = shorten(tag)) {
      if ((available.has(tag) || (withDefault && tag === DEFAULT_LANGUAGE)) && (excluded === undefined || !excluded.includes(tag))) return tag
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
  for (const language of available) byTag.set(language.toLowerCase(), language)
  const found = lookup(rangesOf(acceptLanguage), byTag, false)
  return found === undefined ? undefined : byTag.get(found)
}

/** The `locales` option, compiled for the response path. */
export class Localizer {
  /** translations by key (status code, or type as defined or resolved), then by lower-cased language */
  private readonly byKey = new Map<string, Map<string, Translation>>()
  /**
   * Translations by resolved type: those keyed by the resolved URI merged over
   * those keyed by the type as defined, built on first use; `null` when there
   * are none. Bounded like the type cache: an app answers with few types.
   */
  private readonly byType = new Map<string, Map<string, Translation> | null>()

  constructor (locales: Locales) {
    for (const language of Object.keys(locales)) {
      const texts = locales[language]
      const lower = language.toLowerCase()
      for (const key of Object.keys(texts)) {
        const text = texts[key]
        const translation: Translation = typeof text === 'string'
          ? { tag: canonicalTag(language), title: text, detail: undefined }
          : { tag: canonicalTag(language), title: text.title, detail: text.detail === undefined ? undefined : compileTemplate(text.detail) }
        let languages = this.byKey.get(key)
        if (languages === undefined) this.byKey.set(key, languages = new Map())
        languages.set(lower, translation)
      }
    }
  }

  private typeTranslations (type: string, definedType: string): Map<string, Translation> | undefined {
    let languages = this.byType.get(type)
    if (languages === undefined) {
      const resolved = this.byKey.get(type)
      const defined = type === definedType ? undefined : this.byKey.get(definedType)
      languages = resolved === undefined && defined === undefined ? null : new Map([...(defined ?? []), ...(resolved ?? [])])
      if (this.byType.size < 10000) this.byType.set(type, languages)
    }
    return languages ?? undefined
  }

  /**
   * The title (and a detail, where a template is given and the problem has
   * one) of `rendering` for the request's `Accept-Language`, with the language
   * tag of the text; `undefined` when this problem has no translations at all
   * (its response does not vary by language). Status keys apply to
   * `about:blank` problems that carry the status phrase; type keys to their
   * type. `type` itself never changes. `rendering` is not changed: the log
   * line keeps the untranslated text.
   */
  localize (rendering: Rendering, definedType: string, acceptLanguage: string | undefined): Translated | undefined {
    let languages: Map<string, Translation> | undefined
    if (definedType === ABOUT_BLANK) {
      if (rendering.title === reasonPhrase(rendering.status)) languages = this.byKey.get(String(rendering.status))
    } else {
      languages = this.typeTranslations(rendering.type, definedType)
    }
    if (languages === undefined) return undefined
    const chosen = lookup(rangesOf(acceptLanguage), languages, true) as string
    const translation = languages.get(chosen)
    if (translation === undefined) return { language: DEFAULT_LANGUAGE, title: rendering.title, detail: rendering.detail }
    let detail = rendering.detail
    if (translation.detail !== undefined && detail !== undefined) detail = fillTemplate(translation.detail, rendering.extensions) ?? detail
    return { language: translation.tag, title: translation.title ?? rendering.title, detail }
  }
}
