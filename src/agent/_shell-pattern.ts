/**
 * The pattern substitutions of a Dockerfile word (`${NAME#pattern}`, `${NAME##pattern}`, `${NAME%pattern}`,
 * `${NAME%%pattern}`, `${NAME/pattern/text}`, `${NAME//pattern/text}`), as BuildKit's Dockerfile frontend
 * evaluates them: a pattern is a shell glob without brackets (`*` any run of characters, `?` one character,
 * `\` escaping `*`, `?`, `\`, and dropped before `}` and `/`), which BuildKit turns into a Go regular
 * expression: `.` there matches no line break. `#`/`%` take the shortest match at the start/end of the
 * value and `##`/`%%` the longest; `/` replaces the leftmost-longest match, `//` every match as Go's
 * `ReplaceAllString` does (empty matches included, `$0` in the text standing for the match).
 *
 * Matched without backtracking: a glob is literal runs (segments) between stars, each placed at its first
 * (or, for the longest match, its last) place, in time linear in the value for a segment without `?`
 * (V8's `indexOf`); a segment with `?` is compared character by character, within a budget shared by
 * a Dockerfile's substitutions, past which `Unfollowed` is thrown and the substitution is not followed.
 * @internal
 */

/** A substitution not followed at synth: a value with a line break or a character outside the BMP, or past the budget. */
export class Unfollowed extends Error {}

/** How many characters the `?` segments of a Dockerfile's substitutions may compare in all, before they are not followed. */
const BUDGET = 4_000_000;

/** Counts the comparisons of `?` segments, shared by a Dockerfile's substitutions. */
export class PatternMeter {
  private used = 0;

  charge(count: number): void {
    this.used += count;
    if (this.used > BUDGET) throw new Unfollowed();
  }
}

/** A run of a glob between stars: its characters (UTF-16 units), `undefined` where `?` stands. */
type Segment = ReadonlyArray<string | undefined>;

/**
 * A glob's segments (between its stars, consecutive stars as one), as BuildKit's conversion reads the
 * pattern; undefined where BuildKit refuses it (`\` before any other character, or at the end).
 */
function segmentsOf(pattern: string): Segment[] | undefined {
  const segments: Array<Array<string | undefined>> = [[]];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    let literal = c;
    if (c === '*') {
      if (segments[segments.length - 1].length > 0 || segments.length === 1) segments.push([]);
      continue;
    } else if (c === '?') {
      segments[segments.length - 1].push(undefined);
      continue;
    } else if (c === '\\') {
      const next = chars[i + 1];
      // Dropped before `}` and `/` (escaped only for the substitution's sake); else it escapes only `*`, `?` and itself.
      if (next === '}' || next === '/') continue;
      if (next !== '*' && next !== '?' && next !== '\\') return undefined;
      literal = next;
      i++;
    }
    // A character outside the BMP is two units, as in the value: matched as a literal, it compares unit by unit.
    segments[segments.length - 1].push(...literal.split(''));
  }
  return segments;
}

/** Whether a value can be matched here as Go would: no line break (`.` matches none), no surrogate (`?` is one code point). */
function matchable(value: string): boolean {
  return !/[\n\uD800-\uDFFF]/.test(value);
}

function literalOf(segment: Segment): string | undefined {
  return segment.every((c) => c !== undefined) ? segment.join('') : undefined;
}

/** Whether a segment matches the value at `at`. */
function matchesAt(value: string, segment: Segment, at: number, meter: PatternMeter): boolean {
  if (at + segment.length > value.length) return false;
  meter.charge(segment.length);
  return segment.every((c, j) => c === undefined || value[at + j] === c);
}

/** The first place at or after `from` where a segment matches, or -1. */
function first(value: string, segment: Segment, from: number, meter: PatternMeter): number {
  const literal = literalOf(segment);
  if (literal !== undefined) return from > value.length ? -1 : value.indexOf(literal, from);
  for (let at = from; at + segment.length <= value.length; at++) if (matchesAt(value, segment, at, meter)) return at;
  return -1;
}

/** The last place at or after `from` where a segment matches, or -1: the first in the value reversed. */
function last(value: string, reversed: string, segment: Segment, from: number, meter: PatternMeter): number {
  const at = first(reversed, [...segment].reverse(), 0, meter);
  const start = at < 0 ? -1 : value.length - at - segment.length;
  return start >= from ? start : -1;
}

/**
 * Where a glob's match starting at `start` ends: the shortest match, or the longest (`greedy`); -1 where
 * there is none. The first segment is at `start`; each next at its first place after the one before, which
 * leaves the most room for the rest; the longest match puts the last segment at its last place, or runs to
 * the end where the glob ends with a star.
 */
function matchEnd(value: string, reversed: string, segments: Segment[], start: number, greedy: boolean, meter: PatternMeter): number {
  if (!matchesAt(value, segments[0], start, meter)) return -1;
  let at = start + segments[0].length;
  if (segments.length === 1) return at;
  for (let i = 1; i < segments.length - 1; i++) {
    const found = first(value, segments[i], at, meter);
    if (found < 0) return -1;
    at = found + segments[i].length;
  }
  const tail = segments[segments.length - 1];
  if (greedy && tail.length === 0) return value.length;
  const found = greedy ? last(value, reversed, tail, at, meter) : first(value, tail, at, meter);
  return found < 0 ? -1 : found + tail.length;
}

/**
 * `${NAME#pattern}` (`suffix` false) or `${NAME%pattern}` (`suffix` true), the longest match where
 * `greedy` (`##`, `%%`): the value with the match at its start (or end) removed. Undefined where BuildKit
 * refuses the pattern; throws `Unfollowed` where it is not followed.
 */
export function trimPattern(value: string, pattern: string, suffix: boolean, greedy: boolean, meter: PatternMeter): string | undefined {
  // As BuildKit does it, a suffix is a prefix of the value reversed, for the pattern's text reversed before it is read
  // (a lone `\` ending it then escapes the character before it: `}\` is `\}`, an escaped `}`).
  const globs = segmentsOf(suffix ? reversePattern(pattern) : pattern);
  if (!globs) return undefined;
  if (!matchable(value)) throw new Unfollowed();
  const reverse = (s: string) => s.split('').reverse().join('');
  const subject = suffix ? reverse(value) : value;
  const end = matchEnd(subject, suffix ? value : reverse(value), globs, 0, greedy, meter);
  if (end < 0) return value;
  return suffix ? value.slice(0, value.length - end) : value.slice(end);
}

/** A pattern's text reversed as BuildKit reverses it: by code points, each `\` kept before the character after it, but one ending it. */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const tokens: string[] = [];
  for (let i = 0; i < chars.length;) {
    const pair = chars[i] === '\\' && i < chars.length - 1;
    tokens.push(pair ? chars[i] + chars[i + 1] : chars[i]);
    i += pair ? 2 : 1;
  }
  return tokens.reverse().join('');
}

/**
 * `${NAME/pattern/text}` (the first match replaced, `text` as written) or `${NAME//pattern/text}` (`all`:
 * every match, `text` expanded as Go's `ReplaceAllString` expands it). Stars match the longest. Undefined
 * where BuildKit refuses the pattern; throws `Unfollowed` where it is not followed.
 */
export function replacePattern(value: string, pattern: string, text: string, all: boolean, meter: PatternMeter): string | undefined {
  const segments = segmentsOf(pattern);
  if (!segments) return undefined;
  if (!matchable(value)) throw new Unfollowed();
  const reversed = value.split('').reverse().join('');
  // The leftmost match at or after `from`: the first place of the first segment, as the rest (after a star)
  // that does not match after it matches after no later place either.
  const leftmost = (from: number): [number, number] | undefined => {
    const start = first(value, segments[0], from, meter);
    if (start < 0) return undefined;
    const end = matchEnd(value, reversed, segments, start, true, meter);
    return end < 0 ? undefined : [start, end];
  };
  if (!all) {
    const match = leftmost(0);
    return match ? value.slice(0, match[0]) + text + value.slice(match[1]) : value;
  }
  let out = '';
  let lastEnd = 0;
  for (let from = 0; from <= value.length;) {
    const match = leftmost(from);
    if (!match) break;
    out += value.slice(lastEnd, match[0]);
    // As Go does: no replacement for an empty match right after the one before.
    if (match[1] > lastEnd || match[0] === 0) out += expandTemplate(text, value.slice(match[0], match[1]));
    lastEnd = match[1];
    from = match[1] > from ? match[1] : from + 1;
    if (out.length > MAX_LENGTH) throw new Unfollowed();
  }
  return out + value.slice(lastEnd);
}

/** How long a value a substitution may make before it is not followed (`${A//?/$A}` squares the length). */
const MAX_LENGTH = 1_048_576;

/**
 * A replacement text as Go's `Regexp.Expand` reads it for a glob's expression, which has no group: `$$` is `$`,
 * `$0` or `${0}` the match, any other `$name` or `${name}` nothing, and a `$` not followed by a name itself.
 */
function expandTemplate(text: string, match: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) break;
    out += text.slice(i, dollar);
    i = dollar + 1;
    if (text[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const name = /^(\{?)([\p{L}\p{Nd}_]+)(\}?)/u.exec(text.slice(i));
    if (!name || (name[1] === '{' && name[3] !== '}')) {
      out += '$';
      continue;
    }
    i += name[1].length + name[2].length + (name[1] === '{' ? 1 : 0);
    if (name[2] === '0') out += match;
  }
  return out + text.slice(i);
}
