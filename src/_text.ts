/**
 * The number of characters in a text, counted as Unicode code points. Mackerel's limits are in
 * characters, while `.length` counts UTF-16 units, two for each emoji and other characters
 * outside the Basic Multilingual Plane. The emulator uses this too, so it has no dependencies.
 * @internal
 */
export function _characterCount(text: string): number {
  return [...text].length;
}

/** The first `count` characters (code points) of a text, never half of a surrogate pair. @internal */
export function _firstCharacters(text: string, count: number): string {
  return [...text].slice(0, count).join('');
}
