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

/** At most `max` characters (code points, as Mackerel counts them), with an ellipsis when cut. @internal */
export function _shortened(text: string, max: number): string {
  return _characterCount(text) <= max ? text : `${_firstCharacters(text, max - 1)}…`;
}

/**
 * Whether the parentheses of a graph expression or query pair up. Quoted strings (single or
 * double, with backslash escapes, as Mackerel's expressions and PromQL write them, and PromQL's
 * raw strings in backticks, without) are skipped, so a bracket or quote inside one counts for
 * nothing; a string left open is unbalanced. A cheap
 * syntax check: Mackerel rejects an expression or query it cannot parse, and the constructs (at
 * synth) and the emulator (per request) both catch the commonest slips with it.
 * @internal
 */
export function _parenthesesBalanced(text: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length && depth >= 0; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\' && quote !== '`') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'" || ch === '`') {
      quote = ch;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')') {
      depth--;
    }
  }
  return depth === 0 && quote === undefined;
}

/** The character at `index` of a text as Unicode names it (`U+000A`), for errors about characters that do not show. @internal */
export function _codePoint(text: string, index: number): string {
  return `U+${text.charCodeAt(index).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * What stands in place of a value that may hold a secret: in a synth error (a channel URL's token,
 * a header's bearer token given as plain text by mistake), in the handler's log lines and failure
 * reasons, and in what the CLI prints (the API key, NoEcho values, channel URLs, header values).
 * @internal
 */
export const _MASKED = '****';

/**
 * A URL as a synth error or warning may show it: its userinfo (`http://user:pass@proxy:3128`, as a
 * proxy URL may carry it) replaced by `_MASKED`, the rest as given, which says what is wrong. Read
 * from the text, not a parsed URL, so that what is no URL (its scheme forgotten, `user:pass@proxy:3128`)
 * is masked too; everything before the last `@` (after `scheme://`) is taken for userinfo, since a
 * password may hold `/` or `@` where a parser would end it.
 * @internal
 */
export function _maskedUserinfo(value: string): string {
  const userinfo = _userinfoOf(value);
  return userinfo === undefined ? value : `${value.slice(0, userinfo.start)}${_MASKED}${value.slice(userinfo.end)}`;
}

/**
 * Where a URL's userinfo is, read as `_maskedUserinfo` reads it: from after `scheme://` (or the
 * start of the text) to the last `@`, which `end` indexes. Undefined without an `@`.
 * @internal
 */
export function _userinfoOf(value: string): { readonly start: number; readonly end: number } | undefined {
  const end = value.lastIndexOf('@');
  if (end < 0) return undefined;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value);
  return { start: scheme && scheme[0].length <= end ? scheme[0].length : 0, end };
}
