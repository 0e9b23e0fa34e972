/** JSON Pointers (RFC 6901) as RFC 9457 §3's `pointer` extension uses them. */

/** Escapes a JSON Pointer reference token (RFC 6901 §4). */
export function escapePointerToken (token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1')
}

/** A JSON Pointer as a URI fragment (RFC 6901 §6), as RFC 9457 §3's `pointer` example uses. */
export function pointerFragment (pointer: string): string {
  return '#' + encodeURI(pointer).replace(/#/g, '%23')
}
