/**
 * The one bounded cache (docs/security.md#caches): every cache of the plugin
 * is one of these, bounded by entries and by an estimate of the bytes it
 * holds, so that no sequence of requests can grow it without limit. A cache
 * only ever holds what a pure function of its key gives back: it changes the
 * cost of an answer, never the answer, whatever the order of requests.
 *
 * Eviction is first in, first out (a `Map` iterates in insertion order): a
 * hit costs one `Map` lookup and no bookkeeping, which is what the hot path
 * wants; a client sending a new key on every request only evicts entries that
 * the next request for them puts back.
 */

/** What an entry costs beside its key and value: the `Map` slot and the entry object. */
const ENTRY_OVERHEAD = 64

/** The bytes a string holds, as V8 stores it at worst (two bytes a character) plus its header. */
export function stringBytes (value: string): number {
  return 2 * value.length + 16
}

interface Slot<V> {
  readonly value: V
  readonly bytes: number
}

export class BoundedCache<V> {
  readonly maxEntries: number
  readonly maxBytes: number
  /** An entry above this is not kept at all: one large key must not evict the whole cache. */
  readonly maxEntryBytes: number
  readonly #slots = new Map<string, Slot<V>>()
  #bytes = 0

  constructor (maxEntries: number, maxBytes: number, maxEntryBytes: number = Math.floor(maxBytes / 16)) {
    this.maxEntries = maxEntries
    this.maxBytes = maxBytes
    this.maxEntryBytes = Math.min(maxEntryBytes, maxBytes)
  }

  /** The number of entries held. */
  get size (): number {
    return this.#slots.size
  }

  /** The estimated bytes held, keys included. */
  get bytes (): number {
    return this.#bytes
  }

  get (key: string): V | undefined {
    const slot = this.#slots.get(key)
    return slot === undefined ? undefined : slot.value
  }

  /**
   * Keeps `value` for `key`; `valueBytes` is what the value holds beside the
   * key (an estimate; `stringBytes` for strings). Too large an entry is not kept.
   */
  set (key: string, value: V, valueBytes = 0): void {
    const bytes = stringBytes(key) + valueBytes + ENTRY_OVERHEAD
    if (bytes > this.maxEntryBytes) return
    const slots = this.#slots
    const previous = slots.get(key)
    if (previous !== undefined) {
      slots.delete(key)
      this.#bytes -= previous.bytes
    }
    while (slots.size > 0 && (slots.size >= this.maxEntries || this.#bytes + bytes > this.maxBytes)) {
      const oldest = slots.keys().next().value as string
      this.#bytes -= (slots.get(oldest) as Slot<V>).bytes
      slots.delete(oldest)
    }
    slots.set(key, { value, bytes })
    this.#bytes += bytes
  }

  clear (): void {
    this.#slots.clear()
    this.#bytes = 0
  }
}
