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

/** A high surrogate without its low half, or a low one without its high half. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The first lone UTF-16 surrogate of a text as Unicode names it (`U+D800`): half of a pair
 * without the other, which is no character, so UTF-8 cannot encode it and YAML cannot hold it.
 * @internal
 */
export function _loneSurrogate(text: string): string | undefined {
  const lone = LONE_SURROGATE.exec(text);
  return lone ? _codePoint(text, lone.index) : undefined;
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
 * is masked too; `_userinfoOf` says where the userinfo is.
 * @internal
 */
export function _maskedUserinfo(value: string): string {
  const userinfo = _userinfoOf(value);
  return userinfo === undefined ? value : `${value.slice(0, userinfo.start)}${_MASKED}${value.slice(userinfo.end)}`;
}

/**
 * A URL as an error or warning may show it (an API base, a proxy, the agent's config location): its
 * userinfo masked (`_maskedUserinfo`), and its query or fragment too, after the `?` or `#` (a token
 * may ride in either: `https://api/?token=...`, a presigned S3 URL's `X-Amz-Signature`). The rest
 * says what is wrong without them.
 * @internal
 */
export function _maskedApiBase(value: string): string {
  return _maskedUserinfo(value).replace(/([?#])[\s\S]*$/, `$1${_MASKED}`);
}

/** A scheme, with the `/` and `\\` after it. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:[/\\]+/;
/** An authority without userinfo: a host (an IPv6 address in brackets) and a port of digits, each part possibly a token. */
const HOST_AND_PORT = /^(?:\[[^\]]*\]|[^:@]*)(?::(?:\d|\$\{Token\[[^\]]*\]\})*)?$/;

/**
 * Where a URL's userinfo is: from after `scheme://` (or the start of the text) to the last `@` of
 * the authority, which `end` indexes. The authority ends at the first `/`, `?` or `#` (RFC 3986),
 * so that an `@` in the path (`http://proxy:3128/a@b`) leaves the host shown. A password holding
 * `/`, `?` or `#` as typed (not percent-encoded) cuts the authority short, leaving no host and port
 * before it (`user:pa/ss@proxy`): then all up to the last `@` is taken for userinfo, as it would
 * show the password's first part. Undefined without userinfo.
 *
 * The text is read as the WHATWG parser (`new URL`, which the checks use, and fetch) reads it, so
 * that no user name and password it finds is left out: it drops tabs and newlines anywhere and blanks
 * and control characters before the scheme, and after `http:` skips any run of `/` and `\`
 * (`http:/user:pass@host` has a password). Any scheme is read so, since a slash too few or too many is
 * a slip, not a sign of no password. `start` and `end` index `value` as given.
 * @internal
 */
export function _userinfoOf(value: string): { readonly start: number; readonly end: number } | undefined {
  // Where in `value` each character of `text` is.
  const at: number[] = [];
  for (let i = 0; i < value.length; i++) if (!/[\t\n\r]/.test(value[i])) at.push(i);
  const text = at.map((i) => value[i]).join('');
  const span = userinfoIn(text);
  return span && { start: at[span.start], end: at[span.end] };
}

function userinfoIn(text: string): { readonly start: number; readonly end: number } | undefined {
  const lead = /^[\x00-\x20]*/.exec(text)![0].length;
  const scheme = SCHEME.exec(text.slice(lead));
  const start = scheme ? lead + scheme[0].length : 0;
  const authorityEnd = text.slice(start).search(/[/?#]/);
  const authority = authorityEnd < 0 ? text.slice(start) : text.slice(start, start + authorityEnd);
  const at = authority.lastIndexOf('@');
  if (at >= 0) return { start, end: start + at };
  if (HOST_AND_PORT.test(authority)) return undefined;
  const end = text.lastIndexOf('@');
  return end < start ? undefined : { start, end };
}
