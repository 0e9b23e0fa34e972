/** JSON Pointers (RFC 6901) as RFC 9457 §3's `pointer` extension uses them. */

/** Escapes a JSON Pointer reference token (RFC 6901 §4). */
export function escapePointerToken (token: string): string {
  // Most member names have neither `~` nor `/`: no regular expression to run.
  if (token.indexOf('~') === -1 && token.indexOf('/') === -1) return token
  return token.replace(/~/g, '~0').replace(/\//g, '~1')
}

/** The characters `encodeURI` leaves as they are, less `#` (which a fragment cannot hold). */
const FRAGMENT_SAFE = /^[A-Za-z0-9;,/?:@&=+$\-_.!~*'()]*$/

/** A JSON Pointer as a URI fragment (RFC 6901 §6), as RFC 9457 §3's `pointer` example uses. */
export function pointerFragment (pointer: string): string {
  // One test instead of encodeURI and a replace for the usual ASCII names.
  if (FRAGMENT_SAFE.test(pointer)) return '#' + pointer
  return '#' + encodeURI(pointer).replace(/#/g, '%23')
}
