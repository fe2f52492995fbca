/**
 * Logging and secret scrubbing. Every log line and every error message that leaves the handler
 * goes through `scrub`, which blanks out each secret the handler has learnt (the API key,
 * channel URLs, external monitors' header values, a URL's user name and password) in the forms it
 * may appear in: plain, URL-encoded and JSON-escaped (as any JSON writer escapes it, `jsonForms`,
 * or escapes some of its characters and not others, `readEscapes`).
 */
import { _MASKED, _userinfoOf } from '../../_text';

/**
 * Every form of every secret learnt, and what replaces it: the bare forms by the mask, the quoted
 * forms of a short or quoted-only secret by the mask in the same quotes (so JSON stays JSON).
 */
const masks = new Map<string, string>();
/** `masks` longest form first, sorted again only after a secret is added (not for every line). */
let ordered: Array<[string, string]> | undefined;

/**
 * Below this length a secret is not blanked inside longer text: blanking "a" everywhere would hide
 * everything. It is blanked where it stands whole between double quotes instead: a JSON string
 * value equal to it (in a log line, also inside a message that is itself a JSON string) or a
 * quoted echo in Mackerel's message. An unquoted echo of a short secret is not recognised.
 */
export const MIN_SECRET_LENGTH = 6;
const QUOTED_MASK = `"${_MASKED}"`;

/**
 * Registers a secret to blank. `quotedOnly` blanks it only where it stands whole between quotes,
 * at any length: for a value that may be no secret at all (a plain header value), which blanking
 * inside longer text would cut out of unrelated log lines for the rest of the container's life.
 */
export function addSecret(value: string, quotedOnly = false): void {
  const added = _secretMasks(value, quotedOnly);
  if (added.length === 0) return;
  ordered = undefined;
  for (const [form, mask] of added) masks.set(form, mask);
}

/**
 * Registers the user name and password of a URL (`https://user:password@host/`) as a secret. A
 * short one (`:4711`) is blanked only where it stands whole in quotes, and an error may echo the URL
 * unquoted (fetch refusing it does), so the text up to it, scheme and all, is registered too.
 */
export function addUrlUserinfoSecret(url: string): void {
  const userinfo = _userinfoOf(url);
  if (!userinfo) return;
  addSecret(url.slice(userinfo.start, userinfo.end));
  addSecret(url.slice(0, userinfo.end));
}

/**
 * The forms of a secret to blank and what replaces each, as `addSecret` registers them (short
 * and quoted-only ones where they stand quoted whole). Shared with the CLI's scrub, which blanks
 * a NoEcho value of a few characters where a diff shows it as a field's value, quoted, too.
 * @internal
 */
export function _secretMasks(value: string, quotedOnly = false): Array<[string, string]> {
  if (value === '') return [];
  if (quotedOnly || value.length < MIN_SECRET_LENGTH) {
    // Echoed as it is ("v", in an error message) or as a JSON value ("v" escaped, by any JSON
    // writer), each also inside a JSON string once more (the log line that carries the message).
    return [value, ...jsonForms(value)].flatMap((inner): Array<[string, string]> => [
      [`"${inner}"`, QUOTED_MASK],
      [`\\"${jsonEscaped(inner)}\\"`, `\\"${_MASKED}\\"`],
    ]);
  }
  return secretForms(value).map((form): [string, string] => [form, _MASKED]);
}

/**
 * Every form a secret may take inside longer text: as it is, URL-encoded (`urlForms`), inside a JSON string as
 * any JSON writer escapes it (`jsonForms`), and each of those as a log line carries it inside its
 * message, a JSON string once more (a `\/` Mackerel's error body quoted is written `\\/` there).
 */
function secretForms(value: string): string[] {
  const forms = [value, ...urlForms(value), ...jsonForms(value)];
  return [...new Set([...forms, ...forms.map(jsonEscaped)])];
}

/**
 * A text URL-encoded as URL writers write it: as encodeURIComponent does, and as a form (and
 * URLSearchParams) does, which writes a space as `+` and encodes `!'()~` too. The hex digits' case
 * is the writer's choice (.NET's HttpUtility.UrlEncode writes lowercase): `_maskSpans` reads it in either.
 */
function urlForms(text: string): string[] {
  let component: string;
  try {
    component = encodeURIComponent(text);
  } catch {
    // a lone surrogate, which no URL writer encodes (a URIError here): such a secret has no URL form
    return [];
  }
  // Its escapes of `!'()~`, as any other escape, are read by `readEscapes`; a + is not.
  return [component, component.replace(/%20/g, '+')];
}

/**
 * A text as JSON writers write it inside a string: as JSON.stringify does, and as others do, which
 * escape `/` as `\/` (PHP's json_encode, for one) or `&`, `<`, `>`, U+2028 and U+2029 as `\u0026`
 * and so on (Go's encoding/json): Mackerel may echo a channel URL, whose query may hold `&`, in an
 * error body either way. Others write every character beyond ASCII as `\uXXXX`, a surrogate pair
 * for one beyond the Basic Multilingual Plane: in lowercase hex (Python's json.dumps by default,
 * PHP's json_encode) or uppercase (Java's writers), so a URL or memo with `é` or `日本` is echoed so.
 */
function jsonForms(text: string): string[] {
  // Their \uXXXX, in either case, of some characters or all, are read by `readEscapes`, and \/ too, but for
  // PHP's \\\/ (a backslash and a slash), which it reads as a slash escaped twice (a log line's \\/).
  const json = jsonEscaped(text);
  return [json, json.split('/').join('\\/')];
}

export function scrub(text: string): string {
  return masked(text, false);
}

/**
 * `keepKeys`, for a log line (JSON.stringify's output, with no spaces): a quoted form followed by
 * `:` is one of the line's field names, not a value, and is left. A plain header value registered
 * as quoted only may well be a word such as "level" or "error", which would otherwise blank that
 * field's name in every later line of the container.
 *
 * In a log line, a form is masked only where it can be an occurrence of the secret: a quoted form
 * as one whole string of the line, any other inside one string, between two of its characters.
 * JSON.stringify writes every occurrence so, as the secret's JSON forms. A raw form found
 * elsewhere was met by chance, and masking it would leave the line no JSON: across an escape
 * (`nKEY` in a newline followed by `KEY`, written `\nKEY`; `KEY\` in `KEY` followed by a quote,
 * written `KEY\"`) or across the line's own quotes (a quoted-only `:` in every `"level":"info"`).
 */
function masked(text: string, keepKeys: boolean): string {
  ordered ??= [...masks].sort(([a], [b]) => b.length - a.length);
  return _maskSpans(text, ordered, keepKeys ? _logLineKeep(text) : undefined);
}

/**
 * `_maskSpans`'s `keep` for a log line (see `masked`). Shared with the CLI's scrub, which blanks
 * the handler's --verbose lines too. @internal
 */
export function _logLineKeep(line: string): (mask: string, start: number, end: number) => boolean {
  let strings: ReturnType<typeof stringsOf> | undefined;
  return (mask, start, end) => {
    const { inside, quote } = strings ??= stringsOf(line);
    if (mask !== QUOTED_MASK) return inside[start] < 0 || inside[start] !== inside[end];
    return line[end] === ':' || quote[start] < 0 || quote[start] !== quote[end - 1];
  };
}

/**
 * Where the strings of a log line are, read once: `inside`, for each position between two
 * characters of a string (escapes whole), that string's number, else -1 (in an escape, outside
 * the strings); `quote`, for each quote that opens or closes a string, that string's number.
 */
function stringsOf(line: string): { readonly inside: Int32Array; readonly quote: Int32Array } {
  const inside = new Int32Array(line.length + 1).fill(-1);
  const quote = new Int32Array(line.length + 1).fill(-1);
  let count = 0;
  for (let at = 0; at < line.length; at++) {
    if (line[at] !== '"') continue;
    const string = count++;
    quote[at++] = string;
    for (; at < line.length && line[at] !== '"'; at += line[at] !== '\\' ? 1 : line[at + 1] === 'u' ? 6 : 2) inside[at] = string;
    inside[at] = string;
    quote[at] = string;
  }
  return { inside, quote };
}

/**
 * Replaces each occurrence of each form (`forms`: form and its mask, longest first) in `text`.
 * The occurrences are all found in the text as given and those that overlap are masked as one
 * span: a secret inside a longer one (or a quoted value holding a secret) is blanked whole, never
 * around the inner one, and of two secrets where one ends as the other starts, no part is left,
 * as replacing one form after another left the part of one outside the other. A span keeps the
 * quotes of the masks it starts and ends with, so that JSON stays JSON. `keep` leaves an
 * occurrence by its mask and where it starts and ends in `text`. Shared with the CLI's scrub.
 * @internal
 */
export function _maskSpans(
  text: string, forms: ReadonlyArray<readonly [string, string]>, keep?: (mask: string, start: number, end: number) => boolean,
): string {
  const spans: Array<{ start: number; end: number; mask: string }> = [];
  const find = (within: string, sought: ReadonlyArray<readonly [string, string, string?, string?]>, at?: Int32Array) => {
    // A percent-escape's hex may be in either case, mixed in one text too (a writer re-encoding only some
    // characters, a URL normalizer uppercasing a secret's own escapes): a form holding one is looked for
    // with a to f uppercased in both, which moves no character, and taken where it differs from the text
    // only in its escapes' hex.
    const folded = within.includes('%') ? upperHex(within) : undefined;
    for (const [form, mask, head = '', tail = ''] of sought) {
      const anyCase = folded !== undefined && form.includes('%');
      const [searched, what] = anyCase ? [folded, upperHex(form)] : [within, form];
      for (let i = searched.indexOf(what); i >= 0; i = searched.indexOf(what, i + 1)) {
        if (anyCase && !sameButHexCase(within, i, form)) continue;
        // A form read with its first or last characters as written (`escapesRead`): read so in the text too, or
        // as written, where the text's own escape ends or starts with them.
        const [h, j, t] = [head.length, i + form.length, tail.length];
        const start = !at ? i : within.slice(i - h, i) === head ? at[i - h] : text.slice(at[i] - h, at[i]) === head ? at[i] - h : -1;
        const end = !at ? j : within.startsWith(tail, j) ? at[j + t] : text.startsWith(tail, at[j]) ? at[j] + t : -1;
        if (start >= 0 && end >= 0 && !keep?.(mask, start, end)) spans.push({ start, end, mask });
      }
    }
  };
  find(text, forms);
  // A JSON writer may escape any character as \uXXXX, in either hex case, and `/` as `\/`, some and not
  // others (org.json escapes U+2000-U+2100 only, Gson `=` and `&`), and each URL writer percent-encodes its
  // own set of characters: the forms are looked for once more in the text with every such escape read as
  // its character (`readEscapes`), JSON's once or twice escaped (as a log line carries a message), and what
  // is found there masked in the text as written, escapes whole.
  const [read, at] = readEscapes(text) ?? [];
  if (at) find(read!, escapesRead(forms), at);
  if (spans.length === 0) return text;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let done = 0;
  for (let i = 0; i < spans.length;) {
    const first = spans[i];
    let last = first;
    for (i++; i < spans.length && spans[i].start < last.end; i++) if (spans[i].end > last.end) last = spans[i];
    const [lead] = first.mask.split(_MASKED);
    const trail = last.mask.split(_MASKED)[1] ?? '';
    out += `${text.slice(done, first.start)}${lead}${_MASKED}${trail}`;
    done = last.end;
  }
  return out + text.slice(done);
}

/**
 * An escape a JSON writer may write for a character, once or twice escaped (`\u00e9` or `\\u00e9`;
 * `\/`, `\\/` or `\\\/`), an escaped backslash, or another backslash; or a percent-escape of an
 * ASCII character or of a whole UTF-8 one.
 */
const ESCAPES = /\\(?:\\?u([\dA-Fa-f]{4})|(?:\\\\?)?\/|\\)?|%[0-7][\dA-Fa-f]|%[cdCD][\dA-Fa-f]%[89abAB][\dA-Fa-f]|%[eE][\dA-Fa-f](?:%[89abAB][\dA-Fa-f]){2}|%[fF][0-7](?:%[89abAB][\dA-Fa-f]){3}/g;

/**
 * `text` with every escape of `ESCAPES` read as its character, and where in `text` each character
 * of it stands (an escape's character where the escape starts); none for a text without one. JSON
 * writers each escape some characters and not others, and URL writers each percent-encode their own
 * set (a URL parser or encodeURI only what a URL may not hold, Go's QueryEscape `*` and not `~`,
 * Python's quote not `/`). A space written `+` is not read: the forms hold the secret so written
 * (`urlForms`), and `+` is a character of its own elsewhere.
 */
function readEscapes(text: string): readonly [string, Int32Array] | undefined {
  if (!/\\\\?(?:u[\da-f]{4}|\\?\/)|%[\da-f]{2}/i.test(text)) return undefined;
  const at = new Int32Array(text.length + 1);
  let out = '';
  let length = 0;
  let done = 0;
  // Every backslash starts a match, so that an escaped backslash is read whole and the one after it starts the next escape.
  for (const escape of text.matchAll(ESCAPES)) {
    const character = escapedCharacter(escape);
    if (character === undefined) continue;
    for (let i = done; i < escape.index; i++) at[length++] = i;
    for (let i = 0; i < character.length; i++) at[length++] = escape.index;
    out += `${text.slice(done, escape.index)}${character}`;
    done = escape.index + escape[0].length;
  }
  for (let i = done; i <= text.length; i++) at[length++] = i;
  return [`${out}${text.slice(done)}`, at.subarray(0, length)];
}

/** The character an escape stands for, if read: a quote's, a backslash's or a control character's escape stays as written. */
function escapedCharacter([escape, hex]: RegExpMatchArray): string | undefined {
  try {
    // A backslash not read as an escape is read as itself, and left so.
    const character = escape.endsWith('/') ? '/' : hex ? String.fromCharCode(parseInt(hex, 16)) : decodeURIComponent(escape);
    return /^[^\x00-\x1f"\\]/.test(character) ? character : undefined;
  } catch {
    return undefined; // not UTF-8 (an overlong form, a surrogate's)
  }
}

/**
 * The forms (of `_maskSpans`) as `readEscapes` reads them, once for each list of forms, each without the
 * characters it starts or ends with that may end or start an escape (hex digits, `\\`, `%`): the text
 * around a secret may start or end an escape with them (`%` and `41...`, `...\\` and `u0041`), which
 * is then read as another character. They are sought apart, as read or as written (`_maskSpans`).
 */
const formsRead = new WeakMap<ReadonlyArray<readonly [string, string]>, Array<readonly [string, string, string, string]>>();
function escapesRead(forms: ReadonlyArray<readonly [string, string]>): ReadonlyArray<readonly [string, string, string, string]> {
  let read = formsRead.get(forms);
  if (!read) {
    const unique = new Map<string, readonly [string, string, string, string]>();
    for (const [form, mask] of forms) {
      const text = readEscapes(form)?.[0] ?? form;
      const [, head = '', core, tail = ''] = /^(u?[\da-f]{1,4}|\/|(?:%[89ab][\da-f])+)?([^]+?)(\\\\?(?:u[\da-f]{0,3})?|%[c-f][\da-f](?:%[89ab][\da-f]){0,2}|%[\da-f]?)?$/i.exec(text)!;
      unique.set(text, unique.get(text) ?? [core, mask, head, tail]);
    }
    formsRead.set(forms, (read = [...unique.values()]));
  }
  return read;
}

function upperHex(text: string): string {
  return text.replace(/[a-f]/g, (c) => c.toUpperCase());
}

/** Whether `form` stands at `at` in `text` but for the case of the two characters after each of its `%`. */
function sameButHexCase(text: string, at: number, form: string): boolean {
  for (let i = 0; i < form.length; i++) {
    if (text[at + i] !== form[i] && form[i - 1] !== '%' && form[i - 2] !== '%') return false;
  }
  return true;
}

/** The text as it is written inside a JSON string. */
function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

export type LogFields = { readonly [field: string]: unknown };

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` too. */
  with(fields: LogFields): Logger;
}

/** Where a logger's lines go. */
export type LogSink = (level: string, line: string) => void;

const CONSOLE: LogSink = (level, line) => (level === 'error' ? console.error(line) : console.log(line));

/**
 * One JSON object per line, which CloudWatch Logs Insights parses without configuration. `sink`
 * takes the lines, scrubbed, instead of the console (the CLI's own reads write to its stderr).
 */
export function createLogger(base: LogFields = {}, sink: LogSink = CONSOLE): Logger {
  const write = (level: string, message: string, fields?: LogFields) => {
    sink(level, masked(JSON.stringify({ level, message, ...base, ...fields }), true));
  };
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    with: (fields) => createLogger({ ...base, ...fields }, sink),
  };
}
